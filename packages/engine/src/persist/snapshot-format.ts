import { crc32 } from 'node:zlib';
import { Packr, Unpackr } from 'msgpackr';

/**
 * The snapshot file (SAVE, BGSAVE, and the base of a rewritten AOF):
 *
 *   magic     8 bytes  "NODISSNP"
 *   version   u32 BE   SNAPSHOT_VERSION (a reader refuses a newer one)
 *   length    u32 BE   of the header that follows
 *   header    MessagePack map: { created: ms, server: version string, databases: n }
 *   blocks    [u32 BE payload length][u32 BE crc32 of payload][payload]  ...
 *             payload = MessagePack array, 5 entries per record, flat:
 *             db, key, type code (value-codec.ts), value payload, expiry ms (or -1)
 *   footer    [u32 BE 0xFFFFFFFF][u32 BE block count][f64 BE record count]
 *             [u32 BE crc32 of every byte before the footer][u32 BE crc32 of the 16 footer bytes before it]
 *
 * Blocks bound what one checksum covers (a flipped byte is found, and names its block's
 * offset) and what a reader holds in memory at once; records are MessagePack (msgpackr packs
 * a block of thousands of records in one call, far cheaper than a call per record). The footer
 * proves the file is complete: a snapshot is written to a temporary file, fsynced and renamed,
 * so a file without one is damage, never a state to load.
 */

export const SNAPSHOT_MAGIC = 'NODISSNP';
export const SNAPSHOT_VERSION = 1;
const FOOTER_MARK = 0xffffffff;
export const FOOTER_LENGTH = 28;
/** A block is packed once its records' rough size passes this... */
export const BLOCK_TARGET_BYTES = 256 * 1024;
/**
 * ...or once it holds this many records: a flat array past ~128 KB lands in V8's large-object
 * space and is copied whenever it grows (measured: 1M short records packed in 0.75–2.0 s in
 * blocks of ~5,800 records, 0.16–0.23 s in blocks of 1,000).
 */
export const BLOCK_MAX_RECORDS = 1000;
/** A reader refuses blocks larger than this (a damaged length must not allocate gigabytes). */
const MAX_BLOCK = 1024 * 1024 * 1024;

export interface SnapshotHeader {
  created: number;
  server: string;
  databases: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** The file's first bytes. */
export function encodeSnapshotHeader(header: SnapshotHeader): Buffer {
  const body = packr.pack(header);
  const out = Buffer.allocUnsafe(16 + body.length);
  out.write(SNAPSHOT_MAGIC, 0, 'latin1');
  out.writeUInt32BE(SNAPSHOT_VERSION, 8);
  out.writeUInt32BE(body.length, 12);
  body.copy(out, 16);
  return out;
}

/** One block: its 8-byte head (length, checksum) and the packed flat record array. */
export function encodeSnapshotBlock(flatRecords: unknown[]): [head: Buffer, body: Buffer] {
  const body = packr.pack(flatRecords);
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return [head, body];
}

/** The footer, given the crc32 of every byte written before it. */
export function encodeSnapshotFooter(blocks: number, records: number, fileCrc: number): Buffer {
  const out = Buffer.allocUnsafe(FOOTER_LENGTH);
  out.writeUInt32BE(FOOTER_MARK, 0);
  out.writeUInt32BE(blocks, 4);
  out.writeDoubleBE(records, 8);
  out.writeUInt32BE(fileCrc >>> 0, 16);
  out.writeUInt32BE(crc32(out.subarray(0, 20)), 20);
  // Bytes 0..19 are covered by the footer's own checksum at 20..23; 24..27 repeat the mark
  // so a reader can tell a footer from a block header cut short.
  out.writeUInt32BE(FOOTER_MARK, 24);
  return out;
}

/** The snapshot cannot be loaded; the message says why and where. */
export class SnapshotError extends Error {}

/** Reads the file's bytes: at most `length` bytes from `position`. */
export interface SnapshotSource {
  readonly size: number;
  read(position: number, length: number): Buffer;
}

/**
 * Reads a snapshot block by block. A file of gigabytes cannot be held whole, so each block is
 * verified as it is returned, and the footer last: a file that turns out damaged later throws
 * then, and the caller discards what it loaded (the server refuses to start; it never serves
 * a partial data set).
 */
export class SnapshotReader {
  private at = 0;
  private fileCrc = 0;
  private blocks = 0;
  private records = 0;
  header: SnapshotHeader | undefined;
  finished = false;

  constructor(private readonly source: SnapshotSource, private readonly name: string) {}

  get position(): number { return this.at; }

  private read(length: number, what: string): Buffer {
    if (this.at + length > this.source.size) {
      throw new SnapshotError(`${this.name} is truncated: ${what} at offset ${this.at} needs ${length} bytes, the file has ${this.source.size - this.at} (an incomplete or damaged snapshot)`);
    }
    const bytes = this.source.read(this.at, length);
    if (bytes.length < length) throw new SnapshotError(`${this.name}: short read at offset ${this.at}`);
    this.fileCrc = crc32(bytes, this.fileCrc);
    this.at += length;
    return bytes;
  }

  readHeader(): SnapshotHeader {
    if (this.source.size < 16) {
      // What there is of the magic matches: a snapshot cut short (an empty file included).
      const size = this.source.size;
      const start = size === 0 ? '' : this.source.read(0, Math.min(size, 8)).toString('latin1');
      if (SNAPSHOT_MAGIC.startsWith(start)) {
        throw new SnapshotError(`${this.name} is truncated: ${size} bytes, less than a snapshot's header (an incomplete or damaged snapshot)`);
      }
      throw new SnapshotError(`${this.name} is not a nodis snapshot (${size} bytes)`);
    }
    const fixed = this.read(16, 'the header');
    if (fixed.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) {
      throw new SnapshotError(`${this.name} is not a nodis snapshot (it does not start with ${SNAPSHOT_MAGIC})`);
    }
    const version = fixed.readUInt32BE(8);
    if (version > SNAPSHOT_VERSION) {
      throw new SnapshotError(`${this.name} has snapshot format version ${version}, newer than this nodis reads (${SNAPSHOT_VERSION}): upgrade nodis to load it`);
    }
    if (version < 1) throw new SnapshotError(`${this.name} has an invalid snapshot format version ${version}`);
    const length = fixed.readUInt32BE(12);
    if (length > 1024 * 1024) throw new SnapshotError(`${this.name}: header of ${length} bytes at offset 12 is not plausible (damaged file)`);
    const body = this.read(length, 'the header');
    let header: unknown;
    try {
      header = unpackr.unpack(body);
    } catch (e) {
      throw new SnapshotError(`${this.name}: the header at offset 16 does not decode (${e instanceof Error ? e.message : String(e)})`);
    }
    const h = header as Partial<SnapshotHeader> | null;
    if (h === null || typeof h !== 'object' || typeof h.databases !== 'number') throw new SnapshotError(`${this.name}: the header at offset 16 is not a snapshot header`);
    this.header = { created: Number(h.created ?? 0), server: String(h.server ?? ''), databases: h.databases };
    return this.header;
  }

  /** The next block's flat records, or undefined after the verified footer. */
  nextBlock(): unknown[] | undefined {
    if (this.finished) return undefined;
    const blockAt = this.at;
    const crcBefore = this.fileCrc;
    const head = this.read(8, 'a block header or the footer');
    const length = head.readUInt32BE(0);
    if (length === FOOTER_MARK) {
      const rest = this.read(FOOTER_LENGTH - 8, 'the footer');
      const footer = Buffer.concat([head, rest]);
      if (crc32(footer.subarray(0, 20)) !== footer.readUInt32BE(20) || footer.readUInt32BE(24) !== FOOTER_MARK) {
        throw new SnapshotError(`${this.name}: the footer at offset ${blockAt} is damaged`);
      }
      if (footer.readUInt32BE(16) !== crcBefore >>> 0) throw new SnapshotError(`${this.name}: the file's checksum does not match its footer (offset ${blockAt})`);
      if (footer.readUInt32BE(4) !== this.blocks || footer.readDoubleBE(8) !== this.records) {
        throw new SnapshotError(`${this.name}: the footer at offset ${blockAt} counts ${footer.readUInt32BE(4)} blocks and ${footer.readDoubleBE(8)} records, the file holds ${this.blocks} and ${this.records}`);
      }
      if (this.at !== this.source.size) throw new SnapshotError(`${this.name}: ${this.source.size - this.at} unexpected bytes after the footer at offset ${this.at}`);
      this.finished = true;
      return undefined;
    }
    if (length > MAX_BLOCK) throw new SnapshotError(`${this.name}: a block at offset ${blockAt} claims ${length} bytes (damaged file)`);
    const body = this.read(length, 'a block');
    if (crc32(body) !== head.readUInt32BE(4)) throw new SnapshotError(`${this.name}: the block at offset ${blockAt} fails its checksum (damaged file)`);
    let records: unknown;
    try {
      records = unpackr.unpack(body);
    } catch (e) {
      throw new SnapshotError(`${this.name}: the block at offset ${blockAt} does not decode (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(records) || records.length % 5 !== 0) throw new SnapshotError(`${this.name}: the block at offset ${blockAt} is not a record array`);
    this.blocks++;
    this.records += records.length / 5;
    return records;
  }
}
