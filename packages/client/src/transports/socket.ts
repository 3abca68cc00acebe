import {
  NativeReplyParser, NativeRequestWriter, NATIVE_PROTOCOL, NATIVE_VERSION, ReplyError, helloFields, type Reply,
} from '@nodis/protocol';
import { StreamTransport, type StreamCodec, type StreamConnectOptions, type StreamTarget } from './stream.js';
import { parseStreamUrl } from './resp.js';

/**
 * The socket transport: nodis's native protocol (length-prefixed MessagePack frames, see
 * @nodis/protocol's native/format.ts) over the owner's native Unix socket, for other processes
 * on this machine.
 *
 *   unix:///path/to/nodis-native.sock[?db=N][&username=U][&password=P]
 *
 * Every connection opens with a hello that names the protocol version; a server of another
 * version refuses it and this client says so, as it does when the path is a RESP socket.
 * Pipelining, reconnection, timeouts and aborts: stream.ts.
 */

export type SocketConnectOptions = StreamConnectOptions;

const CLIENT_NAME = '@nodis/client 0.1.0';

/** The native reply parser, refusing a peer whose first bytes are not a frame (a RESP server). */
class GreetedParser {
  private readonly inner = new NativeReplyParser({ copyInput: true });
  private first = true;
  constructor(private readonly display: string) {}
  feed(chunk: Buffer, onReply: (reply: Reply) => void): void {
    if (this.first && chunk.length !== 0) {
      this.first = false;
      if (chunk[0] !== 0) {
        const text = chunk.subarray(0, 60).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
        throw new Error(`${this.display} does not speak the nodis native protocol (it answered '${text}'): for a RESP socket use redis+unix://`);
      }
    }
    this.inner.feed(chunk, onReply);
  }
}

function socketCodec(display: string): StreamCodec {
  return {
    kind: 'socket',
    // A RESP server reads the binary hello as the start of an inline command and waits for a
    // line end that never comes.
    silentPeerHint: 'no nodis native hello came back: for a RESP socket, use redis+unix://',
    encoder: () => new NativeRequestWriter(),
    parser: () => new GreetedParser(display),
    greeting: (encoder) => (encoder as NativeRequestWriter).hello(CLIENT_NAME),
    greeted: (reply: Reply, target: StreamTarget): number => {
      if (reply instanceof ReplyError) throw new Error(`nodis: ${target.display} refused the connection: ${reply.message}`);
      const fields = helloFields(reply);
      if (fields === undefined || fields.protocol !== NATIVE_PROTOCOL) {
        throw new Error(`nodis: ${target.display} answered the hello with something else than a ${NATIVE_PROTOCOL} hello`);
      }
      if (fields.version !== NATIVE_VERSION) {
        throw new Error(`nodis: ${target.display} speaks ${NATIVE_PROTOCOL} protocol version ${String(fields.version)}; this client (${CLIENT_NAME}) speaks version ${NATIVE_VERSION}: upgrade the older of the two`);
      }
      return typeof fields.id === 'number' ? fields.id : -1;
    },
  };
}

export function parseSocketUrl(url: string): StreamTarget {
  return parseStreamUrl(url, { unix: 'unix:' });
}

export function openSocket(url: string, options: SocketConnectOptions = {}): Promise<StreamTransport> {
  const target = parseSocketUrl(url);
  return new StreamTransport(socketCodec(target.display), target, options).open();
}
