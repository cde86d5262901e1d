/**
 * CPython's `random.Random` (MT19937 seeded with `init_by_array`), so that a seed typed into Atelier gives the same
 * draws as the Python library InvokeAI calls (dynamicprompts uses `random.Random(seed)`).
 *
 * Only the methods those callers use are here: `random`, `getrandbits`, `randbelow`, `randrange`, `randint`,
 * `choices` (weighted, bisect over cumulative weights) and `shuffle`.
 */
import { Mt19937 } from "@atelier/core";

/** A seeded generator whose output equals CPython 3.11's `random.Random(seed)` for integer seeds. */
export class PythonRandom {
  private readonly mt = new Mt19937();

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** Re-seeds like `random.seed(int)`: the absolute value, split into 32-bit words, goes through `init_by_array`. */
  seed(seed: number | bigint): void {
    if (typeof seed === "number" && !Number.isInteger(seed)) {
      throw new RangeError(`PythonRandom seed must be an integer, got ${seed}`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.mt.seedByArray(key);
  }

  /** A float in [0, 1) with 53 random bits, as `random.random()`. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `random.getrandbits(k)`: k random bits, least significant word first. */
  getrandbits(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbits needs k >= 0, got ${k}`);
    if (k === 0) return 0n;
    if (k <= 32) return BigInt(this.nextUint32() >>> (32 - k));
    let result = 0n;
    let shift = 0n;
    let remaining = k;
    while (remaining > 0) {
      let word = this.nextUint32();
      if (remaining < 32) word >>>= 32 - remaining;
      result |= BigInt(word) << shift;
      shift += 32n;
      remaining -= 32;
    }
    return result;
  }

  /** `Random._randbelow(n)`: uniform in [0, n) by rejection on `n.bit_length()` bits (n ≥ 1). */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`randbelow needs a positive integer, got ${n}`);
    const k = n.toString(2).length;
    let r = Number(this.getrandbits(k));
    while (r >= n) r = Number(this.getrandbits(k));
    return r;
  }

  /** `random.randrange(start, stop)` with step 1. */
  randrange(start: number, stop: number): number {
    const width = stop - start;
    if (width <= 0) throw new RangeError(`empty range for randrange (${start}, ${stop})`);
    return start + this.randbelow(width);
  }

  /** `random.randint(a, b)`: inclusive on both ends. */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** `random.choices(population, weights, k)` (the cumulative-weights branch Python takes when weights are given). */
  choices<T>(population: readonly T[], weights: readonly number[], k = 1): T[] {
    if (population.length !== weights.length) {
      throw new RangeError("The number of weights does not match the population");
    }
    const cumulative: number[] = [];
    let sum = 0;
    for (const w of weights) {
      sum += w;
      cumulative.push(sum);
    }
    const total = cumulative.length > 0 ? cumulative[cumulative.length - 1] : 0;
    if (!(total > 0)) throw new RangeError("Total of weights must be greater than zero");
    if (!Number.isFinite(total)) throw new RangeError("Total of weights must be finite");
    const hi = population.length - 1;
    const out: T[] = [];
    for (let i = 0; i < k; i++) out.push(population[bisectRight(cumulative, this.random() * total, hi)]);
    return out;
  }

  /** `random.shuffle(list)` in place (Fisher–Yates from the end, `randbelow(i + 1)`). */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  /** The next tempered 32-bit MT19937 output. */
  nextUint32(): number {
    return this.mt.nextUint32();
  }
}

/** `bisect.bisect_right(a, x, 0, hi)`. */
function bisectRight(a: readonly number[], x: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
