/**
 * Glob-style matching exactly as Redis 7.0's `stringmatchlen` (KEYS, SCAN MATCH, PSUBSCRIBE,
 * CONFIG GET), without RegExp and in O(pattern × subject) time.
 *
 *   *        any run of bytes (consecutive stars count as one)
 *   ?        any one byte
 *   [abc]    one of the bytes; [^abc] none of them; [a-z] a range, ends in either order
 *   \x       the byte x, literally (also inside brackets)
 *
 * Redis's quirks are kept, because clients see them:
 * - An unterminated class (`[abc`) runs to the end of the pattern; `[` alone matches nothing,
 *   `[^` matches any one byte; `[]` and `[^]` are empty classes (the `]` closes at once).
 * - A `-` is a range only with two bytes after it before the end (`[a-]` is the range `]`..`a`,
 *   and the `]` is then a range end, not the closer).
 * - Range ends compare as C `char`, which is signed on x86-64 (the platform Redis is built and
 *   tested on here): bytes 0x80..0xff sort below 0x00 in a range.
 * - `*` never matches an empty remainder on its own: `*` does not match the empty string
 *   (KEYS and SCAN special-case the pattern `*` before matching; we leave that to them too).
 * - Case folding (nocase, used by CONFIG GET) folds A-Z only (the C locale's tolower), and
 *   not for an escaped byte inside a class.
 * - Redis caps recursion at 1000 nested stars: a match that needs to go past the 1000th
 *   non-trailing star group (with subject left) fails. We keep the cap as a count.
 *
 * Why iterative: a translation to RegExp, or naive recursion, is exponential on patterns like
 * `a*a*a*...b` (RELIABILITY #15). Redis bounds it with `skipLongerMatches`: once the part after
 * a star fails at every position, no earlier star can help, because giving an earlier star a
 * longer match only moves the rest later. The same argument means only the latest star ever
 * needs to be retried, which is the classic single-backtrack-point loop below. Each retry moves
 * that star's start forward by one byte, so the work is at most pattern length × subject length.
 */

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const CARET = 94; // ^
const DASH = 45; // -
const BACKSLASH = 92; // \

/** Redis's cap on nested star recursion (stringmatchlen_impl's `nesting > 1000`). */
const MAX_STAR_NESTING = 1000;

/** C's tolower in the "C" locale: only A-Z fold. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as a signed C char (x86-64), for range comparisons. */
function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  const plen = pattern.length;
  const slen = subject.length;
  let p = 0;
  let s = 0;
  // The latest star: where the pattern resumes after it, and where in the subject the current
  // attempt at that remainder started. -1: no star seen yet, a mismatch is final.
  let starP = -1;
  let starS = 0;
  let starGroups = 0;

  for (;;) {
    let failed = false;
    // One step of Redis's `while (patternLen && stringLen)` loop.
    if (p < plen && s < slen) {
      const pc = pattern.charCodeAt(p);
      const sc = subject.charCodeAt(s);
      if (pc === STAR) {
        while (p + 1 < plen && pattern.charCodeAt(p + 1) === STAR) p++;
        if (p === plen - 1) return true; // a trailing star takes the rest
        if (++starGroups > MAX_STAR_NESTING) return false;
        starP = p + 1;
        starS = s;
        p = starP;
        continue; // the remainder is first tried at the star's own position
      }
      if (pc === QUESTION) {
        p++;
      } else if (pc === OPEN) {
        p++;
        const not = p < plen && pattern.charCodeAt(p) === CARET;
        if (not) p++;
        let match = false;
        for (;;) {
          const c = p < plen ? pattern.charCodeAt(p) : -1;
          if (c === BACKSLASH && plen - p >= 2) {
            p++;
            if (pattern.charCodeAt(p) === sc) match = true;
          } else if (c === CLOSE) {
            break;
          } else if (p >= plen) {
            p = plen - 1; // Redis steps back so the shared `pattern++` below lands on the end
            break;
          } else if (plen - p >= 3 && pattern.charCodeAt(p + 1) === DASH) {
            let start = signed(c);
            let end = signed(pattern.charCodeAt(p + 2));
            let ch = signed(sc);
            if (start > end) { const t = start; start = end; end = t; }
            if (nocase) { start = lower(start); end = lower(end); ch = lower(ch); }
            p += 2;
            if (ch >= start && ch <= end) match = true;
          } else if (nocase ? lower(c) === lower(sc) : c === sc) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) failed = true;
        else p++;
      } else {
        let c = pc;
        if (c === BACKSLASH && plen - p >= 2) c = pattern.charCodeAt(++p);
        if (nocase ? lower(c) !== lower(sc) : c !== sc) failed = true;
        else p++;
      }
      if (!failed) {
        s++;
        if (s === slen) {
          // Subject used up: only stars may remain.
          while (p < plen && pattern.charCodeAt(p) === STAR) p++;
          if (p === plen) return true;
          failed = true;
        } else {
          continue;
        }
      }
    } else {
      // Loop ended with pattern or subject left over (both used up is handled above).
      if (p === plen && s === slen) return true;
      failed = true;
    }
    // This attempt at the latest star's remainder failed: start it one byte later, if any
    // byte is left (Redis's `while (stringLen)` over the star's positions).
    if (starP < 0) return false;
    starS++;
    if (starS >= slen) return false;
    p = starP;
    s = starS;
  }
}
