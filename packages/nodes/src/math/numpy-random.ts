/**
 * numpy's `np.random.default_rng(seed)` (SeedSequence → PCG64) and `Generator.integers(low, high, size)` for int64,
 * bit-exact, so InvokeAI's `random_range` node gives the same collection here for the same seed.
 */
const MASK32 = 0xffffffffn;
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULTIPLIER = 0x2360ed051fc65da44385df649fccf645n;

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

/** numpy's `SeedSequence(entropy)` state words for an integer entropy (no spawn key). */
function seedSequencePool(entropy: bigint): Uint32Array {
  const words: number[] = [];
  for (let n = entropy; n > 0n; n >>= 32n) words.push(Number(n & MASK32));
  if (words.length === 0) words.push(0);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> XSHIFT)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> XSHIFT)) >>> 0;
  };
  const pool = new Uint32Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < words.length ? words[i] : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  }
  for (let src = POOL_SIZE; src < words.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(words[src]));
  }
  return pool;
}

/** `SeedSequence.generate_state(n, np.uint32)`. */
function generateState(pool: Uint32Array, nWords: number): number[] {
  let hashConst = INIT_B;
  const out: number[] = [];
  for (let i = 0; i < nWords; i++) {
    let v = (pool[i % POOL_SIZE] ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_B) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    out.push((v ^ (v >>> XSHIFT)) >>> 0);
  }
  return out;
}

/** numpy's PCG64 bit generator (128-bit LCG, XSL-RR output) with its 32-bit half buffering. */
export class NumpyPcg64 {
  private state = 0n;
  private readonly inc: bigint;
  private pendingHigh: number | null = null;

  /** Seeds like `np.random.default_rng(seed)` for a non-negative integer seed. */
  constructor(seed: number | bigint) {
    const entropy = BigInt(seed);
    if (entropy < 0n) throw new RangeError(`numpy seeds must be non-negative, got ${seed}`);
    const w = generateState(seedSequencePool(entropy), 8);
    const u64 = (i: number): bigint => (BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG_MULTIPLIER + this.inc) & MASK128;
  }

  /** The next 64-bit output. */
  nextUint64(): bigint {
    this.step();
    const s = this.state;
    const xored = ((s >> 64n) ^ s) & MASK64;
    const rot = s >> 122n;
    return ((xored >> rot) | (xored << ((64n - rot) & 63n))) & MASK64;
  }

  /** The next 32-bit output: the low half of a 64-bit draw, then its high half. */
  nextUint32(): number {
    if (this.pendingHigh !== null) {
      const high = this.pendingHigh;
      this.pendingHigh = null;
      return high;
    }
    const next = this.nextUint64();
    this.pendingHigh = Number(next >> 32n);
    return Number(next & MASK32);
  }

  /** `Generator.integers(low, high, size)` with the default int64 dtype (high exclusive). */
  integers(low: number, high: number, size: number): number[] {
    if (high <= low) throw new RangeError(`low >= high (${low} >= ${high})`);
    const rng = BigInt(high) - 1n - BigInt(low);
    const out: number[] = [];
    for (let i = 0; i < size; i++) out.push(Number(BigInt(low) + this.bounded(rng)));
    return out;
  }

  /** A uniform value in [0, rng] by Lemire's method, the 32-bit path when the range fits. */
  private bounded(rng: bigint): bigint {
    if (rng === 0n) return 0n;
    if (rng <= MASK32) {
      if (rng === MASK32) return BigInt(this.nextUint32());
      const excl = rng + 1n;
      let m = BigInt(this.nextUint32()) * excl;
      let leftover = m & MASK32;
      if (leftover < excl) {
        const threshold = (MASK32 - rng) % excl;
        while (leftover < threshold) {
          m = BigInt(this.nextUint32()) * excl;
          leftover = m & MASK32;
        }
      }
      return m >> 32n;
    }
    if (rng === MASK64) return this.nextUint64();
    const excl = rng + 1n;
    let m = this.nextUint64() * excl;
    let leftover = m & MASK64;
    if (leftover < excl) {
      const threshold = (MASK64 - rng) % excl;
      while (leftover < threshold) {
        m = this.nextUint64() * excl;
        leftover = m & MASK64;
      }
    }
    return m >> 64n;
  }
}
