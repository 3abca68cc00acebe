import type { Value } from './codec.js';

/**
 * Replies that a JS caller wants in another shape than the wire's, the same whatever the
 * protocol: HGETALL is a flat [field, value, ...] array in RESP2 and a map in RESP3; both
 * become a plain object `{ field: value }` (field names decoded as UTF-8; values strings, or
 * Buffers with `hgetallBuffer`); sorted-set scores (ZSCORE, ZINCRBY, ZMSCORE, ZADD INCR)
 * become numbers. Keyed by lower-case command name.
 */
const toObject = (v: Value): Value => {
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, Value> = {};
  if (Array.isArray(v)) {
    for (let i = 0; i + 1 < v.length; i += 2) out[String(v[i])] = v[i + 1]!;
    return out;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) out[String(k)] = x;
    return out;
  }
  return v;
};

/**
 * A score: RESP2 sends doubles as bulk strings formatted like C's %.17g (`1.5`, `inf`,
 * `-inf`); RESP3 sends a double, already a number. Either way the caller gets a number.
 * Anything else (nil, an integer reply) passes through.
 */
const toScore = (v: Value): Value => {
  if (typeof v === 'string') return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
  if (Buffer.isBuffer(v)) return toScore(v.toString('latin1'));
  return v;
};
const toScores = (v: Value): Value => (Array.isArray(v) ? v.map(toScore) : v);

export const replyShapes: Readonly<Record<string, (v: Value) => Value>> = {
  hgetall: toObject,
  zscore: toScore,
  zincrby: toScore,
  zmscore: toScores,
  // ZADD answers an integer, or with INCR the new score (nil when NX/XX/GT/LT refused it).
  zadd: toScore,
};

/** Shapes by the command name as written ('hgetall', 'HGETALL'); null: none (the usual case). */
const shapes = new Map<string, ((v: Value) => Value) | null>(Object.entries(replyShapes));

export function shapeReply(command: string, v: Value): Value {
  let shape = shapes.get(command);
  if (shape === undefined) {
    // First time this spelling is seen: remember the answer, so a reply costs one lookup.
    const name = command.toLowerCase();
    shape = Object.hasOwn(replyShapes, name) ? replyShapes[name]! : null;
    if (shapes.size < 10_000) shapes.set(command, shape);
  }
  return shape === null ? v : shape(v);
}
