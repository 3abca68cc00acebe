/**
 * `@nodis/client/stream`: the resp and socket transports alone, for programs that want raw
 * replies and a fast start (nodis-cli). It loads neither the engine (the memory transport
 * does) nor the typed client.
 */
export { openResp, parseRespUrl, type RespConnectOptions } from './transports/resp.js';
export { openSocket, parseSocketUrl, type SocketConnectOptions } from './transports/socket.js';
export type { StreamTarget, StreamTransport, StreamConnectOptions } from './transports/stream.js';
export type { CallOptions, Transport } from './transport.js';
