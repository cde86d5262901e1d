/** The 32-bit Mersenne Twister (MT19937), the engine behind torch's CPU generator. */
const N = 624;
const M = 397;

/** MT19937 with the reference `init_genrand` seeding; its output equals C++ `std::mt19937` and torch's `at::mt19937`. */
export class Mt19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** Re-seeds with the low 32 bits of `seed` (what torch passes down from its 64-bit seed). */
  seed(seed: number): void {
    const s = this.state;
    s[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  /** Re-seeds with the reference `init_by_array` over 32-bit key words (CPython's `random.seed(int)` path). */
  seedByArray(key: readonly number[]): void {
    if (key.length === 0) throw new RangeError("Mt19937.seedByArray needs at least one key word");
    const s = this.state;
    this.seed(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      s[i] = ((s[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        s[0] = s[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      s[i] = ((s[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        s[0] = s[N - 1];
        i = 1;
      }
    }
    // The reference sets the top bit so the state is never all zero.
    s[0] = 0x80000000;
    this.index = N;
  }

  /** Loads a raw 624-word state and read position, like numpy's `set_state` or CPython's `setstate`. */
  setState(words: ArrayLike<number>, index: number): void {
    if (words.length !== N) throw new RangeError(`Mt19937.setState needs ${N} words, got ${words.length}`);
    if (!Number.isInteger(index) || index < 0 || index > N) {
      throw new RangeError(`Mt19937.setState index must be an integer in 0..${N}, got ${index}`);
    }
    for (let i = 0; i < N; i++) this.state[i] = words[i] >>> 0;
    this.index = index;
  }

  /** The next 32-bit output as an unsigned number. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    // Split at the wrap-around points so the hot loops need no modulo.
    let i = 0;
    for (; i < N - M; i++) s[i] = s[i + M] ^ twistWord(s[i], s[i + 1]);
    for (; i < N - 1; i++) s[i] = s[i + M - N] ^ twistWord(s[i], s[i + 1]);
    s[N - 1] = s[M - 1] ^ twistWord(s[N - 1], s[0]);
    this.index = 0;
  }
}

/** The twist's mixing of the top bit of one word with the low bits of the next. */
function twistWord(upper: number, lower: number): number {
  const y = (upper & 0x80000000) | (lower & 0x7fffffff);
  return (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
}
