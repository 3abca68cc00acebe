/**
 * The owner's side of a native connection (format.ts): bytes → the hello, then commands.
 * The same contract as RESP's RequestParser, so CommandConnection drives either.
 */
import { decodeCommand, decodeValue, FrameError, helloFields } from './decode.js';
import { FrameSplitter, MAX_HELLO_FRAME } from './format.js';
import type { Reply } from '../values.js';

export interface NativeRequestParserOptions {
  /** proto-max-bulk-len: the longest argument. */
  maxArgLength: number;
  /** The longest frame from an authenticated client (client-query-buffer-limit). */
  maxFrame: number;
  /** The longest frame before AUTH (the hello, AUTH itself). */
  maxUnauthenticatedFrame?: number;
  /**
   * The client's hello, decoded (undefined when it is not a map of named fields). Returns
   * false to stop reading (the hello was refused: the caller has written why).
   */
  onHello(fields: Record<string, Reply> | undefined): boolean;
}

export class NativeRequestParser {
  /** When false, frames are bounded by maxUnauthenticatedFrame. */
  authenticated = true;
  /** The first bytes looked like RESP (a Redis client on the native socket). */
  respClient = false;

  /** Commands are decoded into strings before onFrame returns: assembly buffers are reused. */
  private readonly splitter = new FrameSplitter(true);
  private helloDone = false;
  /** No byte has arrived yet (the RESP-client check looks at the very first one). */
  private fresh = true;
  private stopped = false;
  private error: string | undefined;
  private readonly maxUnauthenticated: number;

  constructor(private readonly options: NativeRequestParserOptions) {
    this.maxUnauthenticated = options.maxUnauthenticatedFrame ?? MAX_HELLO_FRAME;
  }

  get buffered(): number { return this.splitter.buffered; }

  private readonly tooLong = (length: number): string | undefined => {
    const limit = !this.helloDone ? MAX_HELLO_FRAME : this.authenticated ? this.options.maxFrame : this.maxUnauthenticated;
    return length > limit ? `Protocol error: a frame of ${length} bytes is over the limit of ${limit} bytes` : undefined;
  };

  /**
   * Calls onCommand(argv) for each complete command. Returns undefined, or a protocol error
   * (without 'ERR '): commands before it were delivered, and the parser is dead afterwards.
   */
  feed(chunk: Buffer, onCommand: (argv: string[]) => boolean | void): string | undefined {
    if (this.error !== undefined) return this.error;
    if (this.stopped || chunk.length === 0) return undefined;
    if (this.fresh && chunk[0] !== 0) {
      // A hello frame is far below 16 MiB, so its length's first byte is 0; a RESP client's
      // first byte is '*' or a letter.
      this.respClient = true;
      this.fresh = false;
      return this.fail('Protocol error: this socket speaks the nodis native protocol (unix:// in @nodis/client); RESP clients such as redis-cli connect to the RESP socket or port');
    }
    this.fresh = false;
    const result = this.splitter.feed(chunk, this.tooLong, (buf, start, end) => {
      try {
        if (!this.helloDone) {
          this.helloDone = true;
          let fields: Record<string, Reply> | undefined;
          try {
            fields = helloFields(decodeValue(buf, start, end));
          } catch {
            fields = undefined;
          }
          return this.options.onHello(fields);
        }
        return onCommand(decodeCommand(buf, start, end, this.options.maxArgLength));
      } catch (e) {
        if (e instanceof FrameError) return `Protocol error: ${e.message}`;
        throw e;
      }
    });
    if (result === false) {
      this.stopped = true;
      return undefined;
    }
    if (typeof result === 'string') return this.fail(result);
    return undefined;
  }

  private fail(message: string): string {
    this.error = message;
    return message;
  }
}
