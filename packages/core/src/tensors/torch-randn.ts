import type { Tensor } from "../tensor.js";
import { float32ArrayToBfloat16, float32ArrayToFloat16 } from "./half-float.js";
import { TensorError } from "./tensor-errors.js";
import { TorchCpuGenerator } from "./torch-cpu-generator.js";

/** Float dtypes `torchRandn` can return. */
export type RandnDType = "float32" | "float16" | "bfloat16";

/**
 * `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))` drawn in float32, then rounded to
 * `dtype` — i.e. `torch.randn(..., dtype=torch.float32).to(dtype)`.
 *
 * InvokeAI's SD noise (`get_noise`): `torchRandn([1, 4, Math.floor(height / 8), Math.floor(width / 8)], seed)`,
 * then cast to the model's dtype; FLUX uses `[1, 16, 2 * ceil(h / 16), 2 * ceil(w / 16)]`. Note that
 * `torch.randn(..., dtype=torch.float16)` samples natively in half precision, which is a different stream.
 */
export function torchRandn<D extends RandnDType = "float32">(
  shape: readonly number[],
  seed: number | bigint,
  dtype: D = "float32" as D,
): Tensor<D> {
  const sample = new TorchCpuGenerator(seed).randn(shape);
  switch (dtype as RandnDType) {
    case "float32":
      return sample as Tensor<D>;
    case "float16":
      return { dtype, shape: sample.shape, data: float32ArrayToFloat16(sample.data) } as Tensor<D>;
    case "bfloat16":
      return { dtype, shape: sample.shape, data: float32ArrayToBfloat16(sample.data) } as Tensor<D>;
    default:
      throw new TensorError(`torchRandn: unsupported dtype ${JSON.stringify(dtype)} (float32, float16, bfloat16)`, {
        dtype,
      });
  }
}
