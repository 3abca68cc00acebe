export * from './values.js';
export {
  RequestParser, type RequestParserLimits, splitInlineArgs,
  ERR_INVALID_MULTIBULK_LENGTH, ERR_INVALID_BULK_LENGTH, ERR_TOO_BIG_INLINE, ERR_TOO_BIG_MBULK_COUNT,
  ERR_TOO_BIG_BULK_COUNT, ERR_UNBALANCED_QUOTES, ERR_UNAUTHENTICATED_MULTIBULK, ERR_UNAUTHENTICATED_BULK,
  ERR_EXPECTED_CRLF, ERR_INLINE_NUL, errExpectedDollar,
} from './resp/parser.js';
export { RespWriter } from './resp/writer.js';
export { ReplyParser, type ReplyParserOptions } from './resp/reply-parser.js';
export {
  RingReader, RingWriter, RingBacklog, ringBytes, type Parking, RING_HEAD, RING_TAIL, RING_CONSUMER_PARKED, RING_PRODUCER_PARKED,
  RING_HEADER_BYTES, RING_MIN_CAPACITY, RING_MAX_CAPACITY,
} from './ring.js';
export * from './thread-layout.js';
export { RequestWriter } from './resp/request-writer.js';
export { SlabWriter, writeLatin1, writeRespHeader } from './slab.js';
export * from './native/format.js';
export { NativeWriter } from './native/writer.js';
export { NativeRequestParser, type NativeRequestParserOptions } from './native/parser.js';
export { NativeRequestWriter, NativeReplyParser } from './native/client.js';
export { decodeCommand, decodeValue, FrameError, helloFields } from './native/decode.js';
export { EventLoopPoller } from './poll.js';
