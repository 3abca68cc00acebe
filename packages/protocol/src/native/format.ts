/**
 * nodis's native protocol: what the `socket` transport (unix:///path) speaks to the owner's
 * native Unix socket. Every message is a frame: a 4-byte big-endian body length, then a body
 * that is exactly one MessagePack value. Any language with a MessagePack library can speak it.
 *
 *   client → server  hello  map  { protocol: 'nodis-native', version: 1, client?: str }
 *   server → client  hello  map  { protocol: 'nodis-native', version: 1, server: str, id: int }
 *                    or an error (below) and the connection closes: a client and a server of
 *                    different protocol versions refuse each other with a message that says so.
 *   client → server  a command: an array of str | bin | int | float (argv; str and bin are both
 *                    taken as bytes, numbers in decimal); any number of frames, pipelined.
 *   server → client  one reply frame per command, in request order, and push frames (ext 3)
 *                    in between, e.g. pub/sub messages after HELLO 3.
 *
 * Replies carry RESP3's types (RESP2's when the connection speaks protocol 2, the default,
 * exactly as RESP would: HELLO 3 switches, and maps, sets, doubles and booleans appear):
 *   bulk string → bin             simple string → str         integer → int (int64/uint64)
 *   null        → nil             double        → float64     boolean → true / false
 *   array       → array           map           → map
 *   error       → ext 1, the message's UTF-8 bytes, e.g. "ERR syntax error"
 *   set         → ext 2, whose data is one MessagePack array
 *   push        → ext 3, whose data is one MessagePack array
 *   verbatim    → ext 4, the 3-byte format ("txt"), then the text
 * A protocol error (an unreadable frame, a frame over the limit) is answered with an error
 * frame, then the server closes the connection.
 */

export const NATIVE_PROTOCOL = 'nodis-native';
export const NATIVE_VERSION = 1;

export const EXT_ERROR = 1;
export const EXT_SET = 2;
export const EXT_PUSH = 3;
export const EXT_VERBATIM = 4;

/** MessagePack header families: [fix base, fix limit (exclusive), 8-bit type or -1, 16-bit, 32-bit]. */
export const ARRAY_HEADER = [0x90, 16, -1, 0xdc, 0xdd] as const;
export const MAP_HEADER = [0x80, 16, -1, 0xde, 0xdf] as const;
export const STR_HEADER = [0xa0, 32, 0xd9, 0xda, 0xdb] as const;
export const BIN_HEADER = [0, 0, 0xc4, 0xc5, 0xc6] as const;

/** Writes the smallest header of `family` for n at pos (room reserved); returns the new pos. */
export function writeHeader(buf: Buffer, pos: number, n: number, family: readonly [number, number, number, number, number]): number {
  if (n < family[1]) {
    buf[pos] = family[0] | n;
    return pos + 1;
  }
  if (n < 0x100 && family[2] >= 0) {
    buf[pos] = family[2];
    buf[pos + 1] = n;
    return pos + 2;
  }
  if (n < 0x10000) {
    buf[pos] = family[3];
    buf.writeUInt16BE(n, pos + 1);
    return pos + 3;
  }
  buf[pos] = family[4];
  buf.writeUInt32BE(n, pos + 1);
  return pos + 5;
}

/** Bytes of the length prefix. */
export const FRAME_HEADER = 4;
/** The hello must be small; it is read before the client has authenticated. */
export const MAX_HELLO_FRAME = 64 * 1024;

/** The biggest assembly buffer a reusing splitter keeps between frames. */
const SPARE_MAX = 1 << 20;

/** A frame body's first byte, per MessagePack type family (for clear protocol errors). */
export function describeType(byte: number): string {
  if (byte <= 0x7f || byte >= 0xe0 || (byte >= 0xcc && byte <= 0xd3)) return 'an integer';
  if ((byte >= 0x80 && byte <= 0x8f) || byte === 0xde || byte === 0xdf) return 'a map';
  if ((byte >= 0x90 && byte <= 0x9f) || byte === 0xdc || byte === 0xdd) return 'an array';
  if ((byte >= 0xa0 && byte <= 0xbf) || (byte >= 0xd9 && byte <= 0xdb)) return 'a string';
  if (byte >= 0xc4 && byte <= 0xc6) return 'binary';
  if (byte === 0xc0) return 'nil';
  if (byte === 0xc2 || byte === 0xc3) return 'a boolean';
  if (byte === 0xca || byte === 0xcb) return 'a float';
  if ((byte >= 0xc7 && byte <= 0xc9) || (byte >= 0xd4 && byte <= 0xd8)) return 'an extension';
  return 'an unused type byte';
}

/**
 * Splits a byte stream into frames. Frames wholly inside a chunk are handed out in place (no
 * copy); a frame split across chunks is assembled in a buffer of its own that grows with the
 * bytes that actually arrived (a peer announcing 1 GiB and sending nothing costs nothing).
 */
export class FrameSplitter {
  /**
   * @param reuse the caller copies what it keeps from a frame before onFrame returns (the
   *   owner's command decoder makes strings), so one assembly buffer serves frame after frame:
   *   warm memory instead of a fresh buffer per big frame (slab.ts says why that matters).
   */
  constructor(private readonly reuse = false) {}

  /** An assembly buffer kept for the next split frame (reuse). */
  private spare: Buffer | null = null;
  /** The announced length of the frame being assembled, or -1 between frames. */
  private length = -1;
  /** Length-prefix bytes held between chunks (fewer than 4). */
  private readonly header = Buffer.alloc(FRAME_HEADER);
  private headerHeld = 0;
  private assembly: Buffer | null = null;
  private assembled = 0;

  /** Bytes held for the incomplete frame. */
  get buffered(): number { return this.headerHeld + this.assembled; }

  /**
   * Calls onFrame(buf, start, end) for each complete frame body, in order. The body bytes are
   * valid only during the call. `tooLong(length)` is asked for every announced length and may
   * return an error message, which stops splitting and is returned. onFrame returns false to
   * stop (the rest is dropped), or a string: an error, returned as well.
   */
  feed(
    chunk: Buffer,
    tooLong: (length: number) => string | undefined,
    onFrame: (buf: Buffer, start: number, end: number) => boolean | string | void,
  ): string | false | undefined {
    let pos = 0;
    const size = chunk.length;
    while (pos < size) {
      if (this.length < 0) {
        let length: number;
        if (this.headerHeld === 0 && pos + FRAME_HEADER <= size) {
          length = chunk.readUInt32BE(pos);
          pos += FRAME_HEADER;
        } else {
          while (this.headerHeld < FRAME_HEADER && pos < size) this.header[this.headerHeld++] = chunk[pos++]!;
          if (this.headerHeld < FRAME_HEADER) return undefined;
          this.headerHeld = 0;
          length = this.header.readUInt32BE(0);
        }
        const error = tooLong(length);
        if (error !== undefined) return error;
        if (pos + length <= size) {
          const r = onFrame(chunk, pos, pos + length);
          pos += length;
          if (r === false) return false;
          if (typeof r === 'string') return r;
          continue;
        }
        this.length = length;
        this.assembled = 0;
        const spare = this.spare;
        this.spare = null;
        this.assembly = spare !== null && spare.length >= length ? spare
          : Buffer.allocUnsafe(Math.min(length, Math.max(64 * 1024, 2 * (size - pos))));
      }
      // Assembling: copy what this chunk holds of the frame.
      const want = this.length - this.assembled;
      const take = Math.min(want, size - pos);
      let assembly = this.assembly!;
      if (this.assembled + take > assembly.length) {
        const grown = Buffer.allocUnsafe(Math.min(this.length, Math.max(2 * assembly.length, this.assembled + take)));
        assembly.copy(grown, 0, 0, this.assembled);
        this.assembly = assembly = grown;
      }
      chunk.copy(assembly, this.assembled, pos, pos + take);
      this.assembled += take;
      pos += take;
      if (this.assembled < this.length) return undefined;
      const length = this.length;
      this.length = -1;
      this.assembly = null;
      this.assembled = 0;
      const r = onFrame(assembly, 0, length);
      if (this.reuse && assembly.length <= SPARE_MAX) this.spare = assembly;
      if (r === false) return false;
      if (typeof r === 'string') return r;
    }
    return undefined;
  }
}
