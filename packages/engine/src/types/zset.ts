import type { CollectionValue } from '../keyspace.js';
import { SCAN_EPOCH_MOD, type ScannableCollection } from './collection-scan.js';

/**
 * The sorted set: members (latin1 strings, i.e. bytes) with double scores, ordered by score,
 * ties broken by member bytes (memcmp order; latin1 code units compare as bytes).
 *
 * Two structures, as Redis keeps a dict beside its skiplist:
 *
 *   dict   Map member → score          ZSCORE, ZMSCORE, membership: O(1)
 *   tree   counted B+tree of (score, member), in order
 *
 *                      Inner [sizes: 130 | 64 | 97]   (subtree sizes, for ranks)
 *                     /            |            \
 *     Leaf [(1,a) (1,b) ...] ⇄ Leaf [...] ⇄ Leaf [...]      (leaves linked both ways)
 *
 * A node holds at most FANOUT (leaf) or INNER_FANOUT (inner) entries (leaf: elements in two
 * parallel arrays, scores and members; inner: children with the running total of their subtree
 * sizes). An inner node also keeps, for each child i ≥ 1, a separator: a key ≤ every key of
 * child i and > every key of child i − 1 (it is the child's first key when the child is made,
 * and stays valid under deletions). So every query
 * that is a monotone predicate over the order ("before score 5", "before member [b", "before
 * (3, 'x')") descends one path and counts the elements to its left: ranks, score ranges and
 * lex ranges are O(log n), and a range of m elements is then walked along the leaves: O(log n
 * + m) on any size, as the issue asks of a 10M-member set. Nothing ever sorts on demand.
 *
 * Why a B+tree rather than Redis's skiplist: a skiplist node is an object with two arrays in
 * V8 (~100 B before the member); a leaf slot here costs 16 B (an unboxed double in a packed
 * array plus a pointer). Depth is 4 for 10M members. Recursion is on depth only.
 *
 * Lookups on a big set are bound by cache misses (a 1M-member set is ~60 MB), so the layout
 * keeps the loads per level few: an inner node's separator scores and running sizes share one
 * double array (a binary search on scores, then the rank offset from the neighbouring slot),
 * and member strings (separators, leaf members) are read only when scores tie.
 *
 * Encodings as Redis 7.0 reports them: `listpack` while small (at most
 * zset-max-listpack-entries members, none longer than zset-max-listpack-value bytes), then
 * `skiplist`, never back — except where a command builds a new value and picks its encoding
 * from the final size (the STORE commands; see `fitEncoding`). The representation is the same
 * for both; the reported name, ZSCAN's behaviour (whole in one call for listpack) and one
 * detail of scores depend on it: a listpack keeps scores as text, where Redis 7.0 writes -0
 * as "0", so a score of -0 stored while the value is a listpack becomes 0 (a skiplist keeps
 * -0; ZADD k -0 m answers ZSCORE "0" or "-0" depending on the encoding at the time).
 */

/** Elements per leaf, at most. */
const FANOUT = 64;
/** Children per inner node, at most. */
const INNER_FANOUT = 128;

/** A node's capacity; one with fewer than half that after a removal tries to merge with a neighbour. */
function capacity(node: Node): number {
  return node instanceof Leaf ? FANOUT : INNER_FANOUT;
}

class Leaf {
  scores: number[] = [];
  members: string[] = [];
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

class Inner {
  constructor(
    public children: Node[],
    /**
     * Two doubles per child i: keys[2i] the score of its separator, keys[2i + 1] the elements in
     * children 0..i (so the last slot is the node's size). Slot 0's separator is unused.
     */
    public keys: number[],
    /** The member of child i's separator (read on score ties only). */
    public sepMembers: string[],
  ) {}
}

type Node = Leaf | Inner;

/** (s1, m1) < (s2, m2) in sorted-set order. */
function less(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

/** a.splice(i, 0, v) without the generic builtin (3–4× faster on short arrays). */
function insertAt<T>(a: T[], i: number, v: T): void {
  let j = a.length;
  a.push(v);
  for (; j > i; j--) a[j] = a[j - 1]!;
  a[i] = v;
}

/** a.splice(i, 1) likewise. */
function removeAt<T>(a: T[], i: number): void {
  const last = a.length - 1;
  for (let j = i; j < last; j++) a[j] = a[j + 1]!;
  a.pop();
}

function width(node: Node): number {
  return node instanceof Leaf ? node.members.length : node.children.length;
}

function sizeOf(node: Node): number {
  if (node instanceof Leaf) return node.members.length;
  return node.keys[node.keys.length - 1]!;
}

/** An inner node's keys from its children and their first keys. */
function innerKeys(children: readonly Node[], firstScores: readonly number[]): number[] {
  const keys: number[] = [];
  let total = 0;
  for (let i = 0; i < children.length; i++) {
    total += sizeOf(children[i]!);
    keys.push(firstScores[i]!, total);
  }
  return keys;
}

/** Adds d to the running sizes of children i.. of an inner node. */
function addFrom(keys: number[], i: number, d: number): void {
  for (let j = 2 * i + 1; j < keys.length; j += 2) keys[j]! += d;
}

/**
 * Where a descent leaves off (seekScore): the leaf and the index in it. Module state, not a
 * returned tuple: the hot range path allocates nothing to find its start.
 */
let seekLeaf: Leaf | null = null;
let seekIndex = 0;

/**
 * A monotone predicate over the order: true for a prefix of the elements (those "before" some
 * bound), false for the rest. `before(score, member)`.
 */
export type Before = (score: number, member: string) => boolean;

/** The limits that decide the encoding (CONFIG names zset-max-listpack-entries / -value). */
export interface ZSetLimits {
  maxListpackEntries: number;
  maxListpackValue: number;
}

export class ZSetValue implements CollectionValue, ScannableCollection<number> {
  private readonly dict = new Map<string, number>();
  private root: Node = new Leaf();
  private skiplist = false;
  /** Removals from dict modulo 2^30, from a random start: for ZSCAN cursors. */
  private deletions = Math.floor(Math.random() * SCAN_EPOCH_MOD);

  get type(): 'zset' { return 'zset'; }

  encoding(): 'listpack' | 'skiplist' { return this.skiplist ? 'skiplist' : 'listpack'; }

  get isListpack(): boolean { return !this.skiplist; }

  get size(): number { return this.dict.size; }

  get scanMap(): Map<string, number> { return this.dict; }
  get scanDeletions(): number { return this.deletions; }

  /** COPY: same members, scores and encoding. */
  copy(): ZSetValue {
    const { members, scores } = this.slice(0, this.size - 1);
    const dup = ZSetValue.fromSorted(members, scores);
    dup.skiplist = this.skiplist;
    return dup;
  }

  /**
   * A sorted set built in O(n) from members already in sorted-set order (by score, then member
   * bytes) and distinct: leaves filled to 3/4, then each inner level over the one below. The
   * encoding is `listpack` until the caller decides (fitEncoding / markSkiplist).
   */
  static fromSorted(members: readonly string[], scores: readonly number[]): ZSetValue {
    const z = new ZSetValue();
    const n = members.length;
    if (n === 0) return z;
    const fill = (FANOUT * 3) >>> 2;
    const innerFill = (INNER_FANOUT * 3) >>> 2;
    let level: Node[] = [];
    let prev: Leaf | null = null;
    for (let i = 0; i < n; i += fill) {
      const leaf = new Leaf();
      leaf.members = members.slice(i, i + fill);
      leaf.scores = scores.slice(i, i + fill);
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      prev = leaf;
      level.push(leaf);
    }
    for (let i = 0; i < n; i++) z.dict.set(members[i]!, scores[i]!);
    if (z.dict.size !== n) throw new Error('fromSorted: members are not distinct');
    // Each node's first key, for the separators of the level above.
    let firstScores = level.map((l) => (l as Leaf).scores[0]!);
    let firstMembers = level.map((l) => (l as Leaf).members[0]!);
    while (level.length > 1) {
      const up: Node[] = [];
      const upScores: number[] = [];
      const upMembers: string[] = [];
      for (let i = 0; i < level.length; i += innerFill) {
        const children = level.slice(i, i + innerFill);
        const inner = new Inner(children, innerKeys(children, firstScores.slice(i, i + innerFill)), firstMembers.slice(i, i + innerFill));
        up.push(inner);
        upScores.push(firstScores[i]!);
        upMembers.push(firstMembers[i]!);
      }
      level = up;
      firstScores = upScores;
      firstMembers = upMembers;
    }
    z.root = level[0]!;
    return z;
  }

  score(member: string): number | undefined { return this.dict.get(member); }

  has(member: string): boolean { return this.dict.has(member); }

  /**
   * Adds a member or changes its score. Converts to `skiplist` when the set outgrows the
   * listpack limits (Redis converts on the insertion that exceeds them). The score is never NaN
   * (callers refuse it, as Redis does).
   */
  set(member: string, score: number, limits: ZSetLimits): void {
    const old = this.dict.get(member);
    if (old === undefined && !this.skiplist
      && (this.dict.size + 1 > limits.maxListpackEntries || member.length > limits.maxListpackValue)) {
      // Redis converts before inserting: the new member already goes into the skiplist.
      this.skiplist = true;
    }
    if (!this.skiplist && score === 0) score = 0; // -0 → 0: see the encodings above
    if (old !== undefined) {
      if (Object.is(old, score)) return;
      this.dict.set(member, score);
      if (old === score) { // 0 and -0: same position, new value
        this.replaceScore(old, member, score);
        return;
      }
      this.treeDelete(old, member);
      this.treeInsert(score, member);
      return;
    }
    this.dict.set(member, score);
    this.treeInsert(score, member);
  }

  /** Appends members in order without encoding checks (building a value; see fitEncoding). */
  insert(score: number, member: string): void {
    this.dict.set(member, score);
    this.treeInsert(score, member);
  }

  /** Removes a member; false when it was not there. */
  delete(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.deletions = (this.deletions + 1) % SCAN_EPOCH_MOD;
    this.treeDelete(score, member);
    return true;
  }

  /**
   * For a value built by a command (ZUNIONSTORE, ZRANGESTORE ...): `listpack` when it fits the
   * limits, else `skiplist` — Redis picks the destination's encoding from its final size.
   */
  fitEncoding(limits: ZSetLimits): void {
    let fits = this.dict.size <= limits.maxListpackEntries;
    if (fits) {
      for (const m of this.dict.keys()) {
        if (m.length > limits.maxListpackValue) { fits = false; break; }
      }
    }
    this.skiplist = !fits;
    if (fits) this.zeroNegativeZeros();
  }

  /** A listpack holds no -0 (see the encodings above): rewrites those scores as 0. */
  private zeroNegativeZeros(): void {
    const [first, end] = this.scoreRange(0, false, 0, false);
    if (first === end) return;
    const at = this.locate(first);
    let cur: Leaf | null = at[0];
    let i = at[1];
    for (let n = end - first; cur !== null && n > 0; cur = cur.next, i = 0) {
      const { scores, members } = cur;
      for (; i < scores.length && n > 0; i++, n--) {
        if (Object.is(scores[i], -0)) {
          scores[i] = 0;
          this.dict.set(members[i]!, 0);
        }
      }
    }
  }

  /** Forces the `skiplist` encoding (a value created with a member too long, etc.). */
  markSkiplist(): void { this.skiplist = true; }

  // ------------------------------------------------------------------ order queries

  /** 0-based rank in ascending order, undefined for a non-member. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    return this.countBeforeKey(score, member);
  }

  /**
   * countBefore for "before (score, member)" and "score below a bound" without a predicate
   * closure: the two hot queries (ZRANK, score ranges) take a monomorphic path, measured ≈ 2×
   * faster on a 1M-member set than a call through a closure at every comparison.
   */
  private countBeforeKey(score: number, member: string): number {
    let node = this.root;
    let acc = 0;
    while (node instanceof Inner) {
      const keys = node.keys;
      let lo = 1;
      let hi = (keys.length >>> 1) - 1;
      let found = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const sep = keys[2 * mid]!;
        // The member is loaded on a tie only: an eager load is a cache miss per probe.
        if (sep < score || (sep === score && node.sepMembers[mid]! < member)) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (found > 0) acc += keys[2 * found - 1]!;
      node = node.children[found]!;
    }
    // The member is in this leaf: when no other element of the leaf has its score, the score
    // alone places it, and the members array (two more cache misses) is never read.
    const scores = node.scores;
    let lo = 0;
    let hi = scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (scores[mid]! < score) lo = mid + 1; else hi = mid;
    }
    if (lo + 1 < scores.length && scores[lo + 1] === score) return acc + ZSetValue.leafIndex(node, score, member);
    return acc + lo;
  }

  /** How many elements score below `bound` (`inclusive`: at most `bound`). */
  private countScoresBelow(bound: number, inclusive: boolean): number {
    let node = this.root;
    let acc = 0;
    while (node instanceof Inner) {
      const keys = node.keys;
      let lo = 1;
      let hi = (keys.length >>> 1) - 1;
      let found = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const sep = keys[2 * mid]!;
        if (sep < bound || (inclusive && sep === bound)) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (found > 0) acc += keys[2 * found - 1]!;
      node = node.children[found]!;
    }
    const { scores } = node;
    let lo = 0;
    let hi = scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = scores[mid]!;
      if (s < bound || (inclusive && s === bound)) lo = mid + 1; else hi = mid;
    }
    seekLeaf = node;
    seekIndex = lo;
    return acc + lo;
  }

  /**
   * How many elements satisfy `before`, a predicate true for a prefix of the order: with
   * (s) => s < min it is the rank of the first element with score ≥ min; with
   * (s) => s <= max, one past the last element with score ≤ max.
   */
  countBefore(before: Before): number {
    let node = this.root;
    let acc = 0;
    while (node instanceof Inner) {
      const { keys, sepMembers } = node;
      // The last child i ≥ 1 whose separator is before the bound (else child 0).
      let lo = 1;
      let hi = (keys.length >>> 1) - 1;
      let found = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (before(keys[2 * mid]!, sepMembers[mid]!)) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (found > 0) acc += keys[2 * found - 1]!;
      node = node.children[found]!;
    }
    const { scores, members } = node;
    let lo = 0;
    let hi = members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(scores[mid]!, members[mid]!)) lo = mid + 1; else hi = mid;
    }
    return acc + lo;
  }

  /** Ranks of the elements with min ≤ score ≤ max (exclusive bounds when asked): [first, end). */
  scoreRange(min: number, minExclusive: boolean, max: number, maxExclusive: boolean): [number, number] {
    const first = this.countScoresBelow(min, minExclusive);
    const end = this.countScoresBelow(max, !maxExclusive);
    return [first, Math.max(first, end)];
  }

  /**
   * The elements with min ≤ score ≤ max (exclusive bounds when asked), ascending, or from the
   * top down when `reverse`; `offset` of them skipped, at most `limit` (negative: all) appended
   * to members/scores. What ZRANGEBYSCORE ... LIMIT answers, in one descent and a walk along
   * the leaves: no rank of the range's far end, no second descent to the start. O(log n + m).
   */
  scoreWindow(
    min: number, minExclusive: boolean, max: number, maxExclusive: boolean,
    reverse: boolean, offset: number, limit: number, members: string[], scores: number[],
  ): void {
    if (offset < 0 || limit === 0) return;
    let left = limit < 0 ? Infinity : limit;
    let skip = offset;
    // A long skip goes by rank rather than element by element, keeping O(log n + m).
    const byRank = offset > 2 * FANOUT;
    if (!reverse) {
      const first = this.countScoresBelow(min, minExclusive);
      if (byRank) {
        if (first + offset >= this.size) return;
        const at = this.locate(first + offset);
        seekLeaf = at[0];
        seekIndex = at[1];
        skip = 0;
      }
      let leaf = seekLeaf;
      let i = seekIndex;
      while (leaf !== null) {
        const ls = leaf.scores;
        const lm = leaf.members;
        for (; i < ls.length; i++) {
          const s = ls[i]!;
          if (s > max || (maxExclusive && s === max)) return;
          if (skip > 0) { skip--; continue; }
          members.push(lm[i]!);
          scores.push(s);
          if (--left === 0) return;
        }
        leaf = leaf.next;
        i = 0;
      }
      return;
    }
    const end = this.countScoresBelow(max, !maxExclusive);
    let leaf = seekLeaf;
    let i = seekIndex - 1;
    if (byRank) {
      if (end - 1 - offset < 0) return;
      const at = this.locate(end - 1 - offset);
      leaf = at[0];
      i = at[1];
      skip = 0;
    }
    while (leaf !== null) {
      const ls = leaf.scores;
      const lm = leaf.members;
      for (; i >= 0; i--) {
        const s = ls[i]!;
        if (s < min || (minExclusive && s === min)) return;
        if (skip > 0) { skip--; continue; }
        members.push(lm[i]!);
        scores.push(s);
        if (--left === 0) return;
      }
      leaf = leaf.prev;
      if (leaf !== null) i = leaf.scores.length - 1;
    }
  }

  /**
   * Ranks of the elements whose member is within lex bounds, [first, end). A bound is
   * undefined for `-` (min) or `+` (max). Meaningful when all scores are equal, as Redis
   * documents: members are then in byte order.
   */
  lexRange(min: string | undefined, minExclusive: boolean, max: string | undefined, maxExclusive: boolean): [number, number] {
    const first = min === undefined ? 0 : this.countBefore(minExclusive ? (_s, m) => m <= min : (_s, m) => m < min);
    const end = max === undefined ? this.size : this.countBefore(maxExclusive ? (_s, m) => m < max : (_s, m) => m <= max);
    return [first, Math.max(first, end)];
  }

  /** The element at a 0-based rank (which must be in range). */
  at(rank: number): [member: string, score: number] {
    const [leaf, i] = this.locate(rank);
    return [leaf.members[i]!, leaf.scores[i]!];
  }

  /**
   * Calls `fn` for ranks start..end (inclusive, both in range, start ≤ end) in ascending order,
   * or from end down to start when `reverse`. O(log n + m).
   */
  each(start: number, end: number, reverse: boolean, fn: (member: string, score: number) => void): void {
    if (start > end || start < 0 || end >= this.size) return;
    let n = end - start + 1;
    let [leaf, i] = this.locate(reverse ? end : start);
    let cur: Leaf | null = leaf;
    if (!reverse) {
      while (cur !== null && n > 0) {
        const { members, scores } = cur;
        for (; i < members.length && n > 0; i++, n--) fn(members[i]!, scores[i]!);
        cur = cur.next;
        i = 0;
      }
    } else {
      while (cur !== null && n > 0) {
        const { members, scores } = cur;
        for (; i >= 0 && n > 0; i--, n--) fn(members[i]!, scores[i]!);
        cur = cur.prev;
        if (cur !== null) i = cur.members.length - 1;
      }
    }
  }

  /** Members and scores of ranks start..end as arrays (see each). */
  slice(start: number, end: number, reverse = false): { members: string[]; scores: number[] } {
    const members: string[] = [];
    const scores: number[] = [];
    this.each(start, end, reverse, (m, s) => { members.push(m); scores.push(s); });
    return { members, scores };
  }

  /** Removes ranks start..end (inclusive, in range); returns how many were removed. */
  deleteRange(start: number, end: number): number {
    if (start > end) return 0;
    const { members } = this.slice(start, end);
    for (const m of members) this.delete(m);
    return members.length;
  }

  // ------------------------------------------------------------------ random picks

  /** A uniformly random element (the set is not empty): O(log n). */
  random(): [member: string, score: number] {
    return this.at(Math.floor(Math.random() * this.size));
  }

  /**
   * `count` distinct random elements (0 < count < size), each subset equally likely. A large
   * share of the set: one pass of selection sampling (Knuth's algorithm S), in order. A few:
   * random ranks until `count` distinct ones, O(count log n).
   */
  randomDistinct(count: number): { members: string[]; scores: number[] } {
    const members: string[] = [];
    const scores: number[] = [];
    const size = this.size;
    if (count * 3 > size) {
      let needed = count;
      let left = size;
      this.each(0, size - 1, false, (m, s) => {
        if (needed > 0 && Math.random() * left < needed) {
          members.push(m);
          scores.push(s);
          needed--;
        }
        left--;
      });
      return { members, scores };
    }
    const chosen = new Set<number>();
    while (chosen.size < count) {
      const rank = Math.floor(Math.random() * size);
      if (chosen.has(rank)) continue;
      chosen.add(rank);
      const [m, s] = this.at(rank);
      members.push(m);
      scores.push(s);
    }
    return { members, scores };
  }

  // ------------------------------------------------------------------ the tree

  /** The leaf and index holding a rank. */
  private locate(rank: number): [Leaf, number] {
    let node = this.root;
    let r = rank;
    while (node instanceof Inner) {
      const keys = node.keys;
      // The first child whose running size exceeds r (the last one when r is past the end).
      let lo = 0;
      let hi = (keys.length >>> 1) - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[2 * mid + 1]! > r) hi = mid; else lo = mid + 1;
      }
      if (lo > 0) r -= keys[2 * lo - 1]!;
      node = node.children[lo]!;
    }
    return [node, r];
  }

  /** The child of an inner node whose range holds (score, member). */
  private static childFor(node: Inner, score: number, member: string): number {
    const keys = node.keys;
    let lo = 1;
    let hi = (keys.length >>> 1) - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const sep = keys[2 * mid]!;
      // Separator ≤ (score, member); its member is read on a tie only.
      if (sep < score || (sep === score && node.sepMembers[mid]! <= member)) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /** Index of the first element of a leaf that is not before (score, member). */
  private static leafIndex(leaf: Leaf, score: number, member: string): number {
    const scores = leaf.scores;
    let lo = 0;
    let hi = scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = scores[mid]!;
      if (s < score || (s === score && leaf.members[mid]! < member)) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  private treeInsert(score: number, member: string): void {
    const split = this.insertInto(this.root, score, member);
    if (split !== null) {
      const left = this.root;
      const leftSize = sizeOf(left);
      this.root = new Inner([left, split.node], [0, leftSize, split.score, leftSize + sizeOf(split.node)], ['', split.member]);
    }
  }

  /** Inserts below `node`; returns the new right sibling when the node split. */
  private insertInto(node: Node, score: number, member: string): { node: Node; score: number; member: string } | null {
    if (node instanceof Leaf) {
      const i = ZSetValue.leafIndex(node, score, member);
      insertAt(node.scores, i, score);
      insertAt(node.members, i, member);
      if (node.members.length <= FANOUT) return null;
      const right = new Leaf();
      const half = node.members.length >>> 1;
      right.scores = node.scores.splice(half);
      right.members = node.members.splice(half);
      right.next = node.next;
      right.prev = node;
      if (node.next !== null) node.next.prev = right;
      node.next = right;
      return { node: right, score: right.scores[0]!, member: right.members[0]! };
    }
    const i = ZSetValue.childFor(node, score, member);
    const split = this.insertInto(node.children[i]!, score, member);
    const keys = node.keys;
    addFrom(keys, i, 1);
    if (split === null) return null;
    // The new child i + 1 ends where child i ended; child i now ends `moved` earlier.
    const moved = sizeOf(split.node);
    const end = keys[2 * i + 1]!;
    keys[2 * i + 1] = end - moved;
    insertAt(keys, 2 * i + 2, end);
    insertAt(keys, 2 * i + 2, split.score);
    insertAt(node.children, i + 1, split.node);
    insertAt(node.sepMembers, i + 1, split.member);
    if (node.children.length <= INNER_FANOUT) return null;
    const half = node.children.length >>> 1;
    const rightKeys = keys.splice(2 * half);
    addFrom(rightKeys, 0, -keys[keys.length - 1]!);
    const right = new Inner(node.children.splice(half), rightKeys, node.sepMembers.splice(half));
    return { node: right, score: rightKeys[0]!, member: right.sepMembers[0]! };
  }

  private treeDelete(score: number, member: string): void {
    this.deleteFrom(this.root, score, member);
    let root = this.root;
    while (root instanceof Inner && root.children.length === 1) root = root.children[0]!;
    this.root = root;
  }

  private deleteFrom(node: Node, score: number, member: string): void {
    if (node instanceof Leaf) {
      const i = ZSetValue.leafIndex(node, score, member);
      if (node.members[i] !== member) throw new Error('zset: member missing from the tree');
      removeAt(node.scores, i);
      removeAt(node.members, i);
      return;
    }
    const i = ZSetValue.childFor(node, score, member);
    const child = node.children[i]!;
    this.deleteFrom(child, score, member);
    addFrom(node.keys, i, -1);
    const w = width(child);
    if (w === 0) this.removeChild(node, i);
    else if (2 * w < capacity(child)) this.mergeAround(node, i);
  }

  /** Drops an empty child (a leaf is unlinked from its neighbours). */
  private removeChild(node: Inner, i: number): void {
    const child = node.children[i]!;
    if (child instanceof Leaf) {
      if (child.prev !== null) child.prev.next = child.next;
      if (child.next !== null) child.next.prev = child.prev;
    }
    // Empty: the running sizes are unchanged.
    node.children.splice(i, 1);
    node.keys.splice(2 * i, 2);
    node.sepMembers.splice(i, 1);
  }

  /** Merges child i with a neighbour when the two fit in one node. */
  private mergeAround(node: Inner, i: number): void {
    const child = node.children[i]!;
    const w = width(child);
    const cap = capacity(child);
    if (i > 0 && width(node.children[i - 1]!) + w <= cap) this.mergeChildren(node, i - 1);
    else if (i + 1 < node.children.length && width(node.children[i + 1]!) + w <= cap) this.mergeChildren(node, i);
  }

  /** Moves child i + 1's entries into child i and drops child i + 1. */
  private mergeChildren(node: Inner, i: number): void {
    const left = node.children[i]!;
    const right = node.children[i + 1]!;
    if (left instanceof Leaf && right instanceof Leaf) {
      left.scores.push(...right.scores);
      left.members.push(...right.members);
      left.next = right.next;
      if (right.next !== null) right.next.prev = left;
    } else if (left instanceof Inner && right instanceof Inner) {
      // The parent's separator for the right node bounds its first child.
      right.keys[0] = node.keys[2 * (i + 1)]!;
      right.sepMembers[0] = node.sepMembers[i + 1]!;
      const base = sizeOf(left);
      const rk = right.keys;
      for (let j = 0; j < rk.length; j += 2) left.keys.push(rk[j]!, rk[j + 1]! + base);
      left.children.push(...right.children);
      left.sepMembers.push(...right.sepMembers);
    }
    // Child i now ends where child i + 1 ended.
    node.keys[2 * i + 1] = node.keys[2 * i + 3]!;
    node.children.splice(i + 1, 1);
    node.keys.splice(2 * i + 2, 2);
    node.sepMembers.splice(i + 1, 1);
  }

  /** 0 → -0 or the reverse: the same place in the order, a new stored value. */
  private replaceScore(old: number, member: string, score: number): void {
    let node = this.root;
    while (node instanceof Inner) node = node.children[ZSetValue.childFor(node, old, member)]!;
    const i = ZSetValue.leafIndex(node, old, member);
    node.scores[i] = score;
  }

  /** Checks the tree's invariants (tests): order, sizes, separators, leaf links. */
  checkInvariants(): void {
    const seen: [number, string][] = [];
    const walk = (node: Node, lo: [number, string] | undefined, hi: [number, string] | undefined): number => {
      if (node instanceof Leaf) {
        node.members.forEach((m, j) => {
          const s = node.scores[j]!;
          if (lo && less(s, m, lo[0], lo[1])) throw new Error('leaf key below its separator');
          if (hi && !less(s, m, hi[0], hi[1])) throw new Error('leaf key not below the next separator');
          if (this.dict.get(m) !== s && !(this.dict.get(m) === 0 && s === 0)) throw new Error(`dict and tree disagree on ${m}`);
          seen.push([s, m]);
        });
        return node.members.length;
      }
      let total = 0;
      if (node.keys.length !== 2 * node.children.length || node.sepMembers.length !== node.children.length) {
        throw new Error('inner arrays disagree');
      }
      node.children.forEach((c, j) => {
        const clo: [number, string] | undefined = j === 0 ? lo : [node.keys[2 * j]!, node.sepMembers[j]!];
        const chi: [number, string] | undefined = j + 1 < node.children.length ? [node.keys[2 * j + 2]!, node.sepMembers[j + 1]!] : hi;
        const n = walk(c, clo, chi);
        if (n !== node.keys[2 * j + 1]! - (j === 0 ? 0 : node.keys[2 * j - 1]!)) throw new Error('inner size mismatch');
        if (n === 0) throw new Error('empty child');
        total += n;
      });
      return total;
    };
    const n = walk(this.root, undefined, undefined);
    if (n !== this.dict.size) throw new Error(`tree holds ${n}, dict ${this.dict.size}`);
    for (let j = 1; j < seen.length; j++) {
      if (!less(seen[j - 1]![0], seen[j - 1]![1], seen[j]![0], seen[j]![1])) throw new Error('out of order');
    }
    // Leaf links: walking from the first leaf visits every element in order.
    let first: Node = this.root;
    while (first instanceof Inner) first = first.children[0]!;
    let count = 0;
    for (let l: Leaf | null = first; l !== null; l = l.next) {
      if (l.next !== null && l.next.prev !== l) throw new Error('broken prev link');
      count += l.members.length;
    }
    if (count !== n) throw new Error('leaf chain misses elements');
  }
}
