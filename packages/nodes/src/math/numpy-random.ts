/**
 * NumPy's seeding and random streams, bit for bit, for the nodes whose InvokeAI versions draw from NumPy with a
 * user-given seed: `np.random.default_rng(seed)` (SeedSequence → PCG64) with `Generator.integers` for int64
 * (random_range, infill_tile), and the legacy `RandomState` (MT19937) behind the noise nodes.
 */
import { Mt19937 } from "@atelier/core";

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

const mul32 = (a: number, b: number) => Math.imul(a, b) >>> 0;

/** NumPy's `SeedSequence(entropy)` for a non-negative integer entropy (no spawn key). */
export class SeedSequence {
  private readonly pool = new Uint32Array(POOL_SIZE);

  constructor(entropy: number | bigint) {
    let n = BigInt(entropy);
    if (n < 0n) throw new RangeError(`numpy seeds must be non-negative, got ${entropy}`);
    const words: number[] = [];
    if (n === 0n) words.push(0);
    while (n > 0n) {
      words.push(Number(n & MASK32));
      n >>= 32n;
    }
    this.mixEntropy(words);
  }

  private mixEntropy(entropy: readonly number[]): void {
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      let v = (value ^ hashConst) >>> 0;
      hashConst = mul32(hashConst, MULT_A);
      v = mul32(v, hashConst);
      return (v ^ (v >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      const r = (mul32(MIX_MULT_L, x) - mul32(MIX_MULT_R, y)) >>> 0;
      return (r ^ (r >>> XSHIFT)) >>> 0;
    };
    const pool = this.pool;
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
    }
  }

  /** `generate_state(n, uint32)`. */
  generateState32(words: number): Uint32Array {
    let hashConst = INIT_B;
    const out = new Uint32Array(words);
    for (let i = 0; i < words; i++) {
      let v = (this.pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = mul32(hashConst, MULT_B);
      v = mul32(v, hashConst);
      out[i] = (v ^ (v >>> XSHIFT)) >>> 0;
    }
    return out;
  }

  /** `generate_state(n, uint64)`: pairs of 32-bit words, little-endian. */
  generateState64(words: number): bigint[] {
    const w = this.generateState32(words * 2);
    return Array.from({ length: words }, (_, i) => (BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]));
  }
}

/** numpy's PCG64 bit generator (128-bit LCG, XSL-RR output) with its 32-bit half buffering. */
export class NumpyPcg64 {
  private state = 0n;
  private readonly inc: bigint;
  private pendingHigh: number | null = null;

  /** Seeds like `np.random.default_rng(seed)` for a non-negative integer seed. */
  constructor(seed: number | bigint) {
    const [s0, s1, i0, i1] = new SeedSequence(seed).generateState64(4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (i0 << 64n) | i1;
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
    const out: number[] = [];
    for (let i = 0; i < size; i++) out.push(this.integer(low, high));
    return out;
  }

  /** One draw of `Generator.integers(low, high)` (high exclusive), the stream `integers(low, high, size)` walks. */
  integer(low: number, high: number): number {
    if (high <= low) throw new RangeError(`low >= high (${low} >= ${high})`);
    return Number(BigInt(low) + this.bounded(BigInt(high) - 1n - BigInt(low)));
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

const MT_N = 624;

/**
 * NumPy's legacy `RandomState(MT19937(SeedSequence(seed)))`: MT19937 keyed from the seed sequence (first word
 * 0x80000000, position 623), with the legacy double and the polar Box-Muller Gaussian that caches its second value.
 */
export class LegacyRandomState {
  private readonly mt = new Mt19937();
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number | bigint) {
    const key = new SeedSequence(seed).generateState32(MT_N);
    key[0] = 0x80000000;
    // NumPy leaves `pos` at 623 after keying (its loop variable): the first draw tempers the last key word untwisted.
    this.mt.setState(key, MT_N - 1);
  }

  private nextUint32(): number {
    return this.mt.nextUint32();
  }

  /** `random_sample()`: 53-bit uniform double in [0, 1). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** `standard_normal()` by the legacy polar method. */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gauss;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2.0 * this.randomSample() - 1.0;
      x2 = 2.0 * this.randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }
}
