/**
 * A bit-for-bit model of torch's CPU generator (`torch.Generator("cpu")`): MT19937 seeded with the low 32 bits of
 * the 64-bit seed, torch's uniform transforms, and the two sampling paths `normal_` takes for float32 tensors.
 * Matching it lets a seed typed here reproduce InvokeAI's latent noise, and the other way round.
 */
import type { Tensor } from "../tensor.js";
import { Mt19937 } from "./mt19937.js";
import { InvalidSeedError } from "./tensor-errors.js";
import { tensorSize } from "./tensor-helpers.js";

/** torch's `default_rng_seed_val`, the seed of a generator nobody seeded. */
export const TORCH_DEFAULT_SEED = 67280421310721n;

const UINT64_MAX = 0xffff_ffff_ffff_ffffn;
const INT64_MIN = -0x8000_0000_0000_0000n;
// torch broadcasts `2.0f * pi<double>` into a float32 vector, so theta is computed with this float32 constant.
const TWO_PI_F32 = Math.fround(2 * Math.PI);
const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;

/** torch's own mapping of a Python int seed to uint64: negatives become `0xffff_ffff_ffff_ffff + seed`. */
function toUint64Seed(seed: number | bigint): bigint {
  if (typeof seed === "number" && !Number.isSafeInteger(seed)) throw new InvalidSeedError(seed);
  const s = BigInt(seed);
  if (s < INT64_MIN || s > UINT64_MAX) throw new InvalidSeedError(seed);
  return s < 0n ? UINT64_MAX + s : s;
}

/** torch's CPU generator: same seeding, same draws, same normal sampling as `torch.Generator("cpu")`. */
export class TorchCpuGenerator {
  private readonly engine = new Mt19937();
  private seedValue = TORCH_DEFAULT_SEED;
  // Box–Muller yields two values; torch caches the second for the next scalar draw (reset by manual_seed).
  private nextDoubleNormal: number | undefined;

  constructor(seed: number | bigint = TORCH_DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** `generator.manual_seed(seed)`: restarts the stream and drops the cached normal sample. */
  manualSeed(seed: number | bigint): this {
    this.seedValue = toUint64Seed(seed);
    this.engine.seed(Number(this.seedValue & 0xffff_ffffn));
    this.nextDoubleNormal = undefined;
    return this;
  }

  /** `generator.initial_seed()` as torch stores it (uint64). */
  initialSeed(): bigint {
    return this.seedValue;
  }

  /** One 32-bit draw (`CPUGeneratorImpl::random`). */
  random(): number {
    return this.engine.nextUint32();
  }

  /** One 64-bit draw (`random64`): the first 32-bit draw is the high word. */
  random64(): bigint {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw, scaled into [0, 1). */
  uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** `uniform_real_distribution<double>(0, 1)`: the low 53 bits of a 64-bit draw, scaled into [0, 1). */
  uniformDouble(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_MINUS_53;
  }

  /** `normal_distribution<double>(0, 1)`: Box–Muller in double, the sine half cached for the next call. */
  normalDouble(): number {
    if (this.nextDoubleNormal !== undefined) {
      const cached = this.nextDoubleNormal;
      this.nextDoubleNormal = undefined;
      return cached;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `torch.randn(shape, generator=g)` in float32 (consumes the stream exactly as torch does). */
  randn(shape: readonly number[]): Tensor<"float32"> {
    const data = new Float32Array(tensorSize(shape));
    this.fillNormal(data);
    return { dtype: "float32", shape: [...shape], data };
  }

  /** `tensor.normal_(generator=g)` on a contiguous float32 buffer. */
  fillNormal(out: Float32Array): void {
    if (out.length >= 16) {
      this.fillNormalVectorised(out);
    } else {
      // Small tensors take torch's serial kernel: one double-precision sample per element, rounded to float.
      for (let i = 0; i < out.length; i++) out[i] = this.normalDouble();
    }
  }

  // torch's `normal_fill`: all uniforms first, Box–Muller over blocks of 16 (first 8 are radii, last 8 angles);
  // a ragged tail redraws 16 fresh uniforms into the last 16 slots and transforms them as one block.
  private fillNormalVectorised(data: Float32Array): void {
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16(data, i);
    if (n % 16 !== 0) {
      const start = n - 16;
      for (let i = 0; i < 16; i++) data[start + i] = (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
      boxMuller16(data, start);
    }
  }
}

// Float32 arithmetic at each step mirrors torch's AVX2 kernel closely enough (≤ a few float ulps) for 1e-5.
function boxMuller16(data: Float32Array, offset: number): void {
  const f = Math.fround;
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[offset + j]);
    const u2 = data[offset + j + 8];
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = f(TWO_PI_F32 * u2);
    data[offset + j] = radius * f(Math.cos(theta));
    data[offset + j + 8] = radius * f(Math.sin(theta));
  }
}
