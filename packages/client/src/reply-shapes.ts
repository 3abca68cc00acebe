import type { Value } from './codec.js';

/**
 * Replies that a JS caller wants in another shape than the wire's, the same whatever the
 * protocol: HGETALL is a flat [field, value, ...] array in RESP2 and a map in RESP3; both
 * become a plain object `{ field: value }` (field names decoded as UTF-8; values strings, or
 * Buffers with `hgetallBuffer`). Keyed by lower-case command name.
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

export const replyShapes: Readonly<Record<string, (v: Value) => Value>> = {
  hgetall: toObject,
};

export function shapeReply(command: string, v: Value): Value {
  const shape = replyShapes[command] ?? replyShapes[command.toLowerCase()];
  return shape ? shape(v) : v;
}
