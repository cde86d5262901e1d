/**
 * NumPy's seeding and random streams, bit for bit, for the nodes whose InvokeAI versions draw from NumPy with a
 * user-given seed (infill_tile uses `np.random.default_rng(seed).integers(n)`): SeedSequence, PCG64 and the
 * bounded-integer sampler of `Generator.integers` (Lemire's method with NumPy's 32-bit buffering).
 */
const M32 = 0xffffffff;
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
    if (n < 0n) throw new RangeError(`SeedSequence entropy must be non-negative, got ${entropy}`);
    const words: number[] = [];
    if (n === 0n) words.push(0);
    while (n > 0n) {
      words.push(Number(n & 0xffffffffn));
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

const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;

/** NumPy's PCG64 bit generator (XSL-RR output), seeded through SeedSequence like `PCG64(seed)`. */
export class Pcg64 {
  private state = 0n;
  private inc = 0n;
  private hasUint32 = false;
  private uinteger = 0;

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
    this.state = (this.state * PCG_MULT + this.inc) & MASK128;
  }

  /** The next 64-bit output. */
  nextUint64(): bigint {
    this.step();
    const s = this.state;
    const x = ((s >> 64n) ^ s) & MASK64;
    const rot = Number(s >> 122n);
    return ((x >> BigInt(rot)) | (x << BigInt((64 - rot) & 63))) & MASK64;
  }

  /** The next 32-bit output: the low half of a 64-bit draw, then its high half on the next call. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    const next = this.nextUint64();
    this.hasUint32 = true;
    this.uinteger = Number(next >> 32n);
    return Number(next & 0xffffffffn);
  }

  /** `Generator.integers(high)` for 0 < high <= 2^32: a uniform integer in [0, high). */
  integers(high: number): number {
    if (!Number.isInteger(high) || high < 1 || high > 2 ** 32)
      throw new RangeError(`integers: high must be an integer in 1..2^32, got ${high}`);
    const rng = high - 1;
    if (rng === 0) return 0;
    if (rng === M32) return this.nextUint32();
    const rngExcl = rng + 1;
    let m = BigInt(this.nextUint32()) * BigInt(rngExcl);
    let leftover = Number(m & 0xffffffffn);
    if (leftover < rngExcl) {
      const threshold = (M32 - rng) % rngExcl;
      while (leftover < threshold) {
        m = BigInt(this.nextUint32()) * BigInt(rngExcl);
        leftover = Number(m & 0xffffffffn);
      }
    }
    return Number(m >> 32n);
  }
}

const MT_N = 624;
const MT_M = 397;

/**
 * NumPy's legacy `RandomState(MT19937(SeedSequence(seed)))`: MT19937 keyed from the seed sequence (first word
 * 0x80000000, position 623), with the legacy double and the polar Box-Muller Gaussian that caches its second value.
 */
export class LegacyRandomState {
  private readonly key = new Uint32Array(MT_N);
  // NumPy leaves `pos` at 623 after keying (its loop variable): the first draw tempers the last key word untwisted.
  private pos = MT_N - 1;
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number | bigint) {
    const val = new SeedSequence(seed).generateState32(MT_N);
    this.key.set(val);
    this.key[0] = 0x80000000;
  }

  private nextUint32(): number {
    if (this.pos >= MT_N) {
      const s = this.key;
      for (let i = 0; i < MT_N; i++) {
        const y = (s[i] & 0x80000000) | (s[(i + 1) % MT_N] & 0x7fffffff);
        s[i] = s[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.pos = 0;
    }
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
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
