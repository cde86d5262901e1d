import type { DType, Tensor, TensorDataMap } from "../tensor.js";
import { bfloat16ArrayToFloat32, float16ArrayToFloat32 } from "./half-float.js";
import { TensorError } from "./tensor-errors.js";

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

const ALLOCATORS: { [D in DType]: (length: number) => TensorDataMap[D] } = {
  float32: (n) => new Float32Array(n),
  float16: (n) => new Uint16Array(n),
  bfloat16: (n) => new Uint16Array(n),
  int64: (n) => new BigInt64Array(n),
  int32: (n) => new Int32Array(n),
  uint8: (n) => new Uint8Array(n),
  bool: (n) => new Uint8Array(n),
};

const STORAGE: { [D in DType]: abstract new (...args: never[]) => TensorDataMap[D] } = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** True when `value` is one of the dtype names Atelier tensors use. */
export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(DTYPE_BYTES, value);
}

/** Number of elements of a shape (1 for a scalar `[]`); refuses negative or fractional dimensions. */
export function tensorSize(shape: readonly number[]): number {
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new TensorError(`Tensor shape [${shape.join(", ")}] has an invalid dimension ${dim} at index ${i}`, {
        shape: [...shape],
        index: i,
      });
    }
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) {
    throw new TensorError(`Tensor shape [${shape.join(", ")}] has too many elements`, { shape: [...shape] });
  }
  return size;
}

/** Builds a tensor; without `data` it is zero-filled, with `data` the array is used as is (not copied). */
export function createTensor<D extends DType>(dtype: D, shape: readonly number[], data?: TensorDataMap[D]): Tensor<D> {
  if (!isDType(dtype)) throw new TensorError(`Unknown tensor dtype ${JSON.stringify(dtype)}`, { dtype });
  const size = tensorSize(shape);
  if (data === undefined) return { dtype, shape: [...shape], data: ALLOCATORS[dtype](size) };
  if (!(data instanceof STORAGE[dtype])) {
    throw new TensorError(`Tensor data for dtype ${dtype} must be a ${STORAGE[dtype].name}`, {
      dtype,
      got: (data as object).constructor?.name,
    });
  }
  if (data.length !== size) {
    throw new TensorError(`Tensor data has ${data.length} elements but shape [${shape.join(", ")}] needs ${size}`, {
      dtype,
      shape: [...shape],
      length: data.length,
    });
  }
  return { dtype, shape: [...shape], data };
}

/** A deep copy: new shape array and new data buffer. */
export function cloneTensor<D extends DType>(t: Tensor<D>): Tensor<D> {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() as TensorDataMap[D] };
}

/**
 * The tensor's values as float32. A float32 tensor is returned itself (no copy); other dtypes are converted
 * into a new buffer (int64 through Number, so magnitudes above 2^24 lose precision as in torch's `.float()`).
 */
export function toFloat32(t: Tensor): Tensor<"float32"> {
  switch (t.dtype) {
    case "float32":
      return t as Tensor<"float32">;
    case "float16":
      return { dtype: "float32", shape: [...t.shape], data: float16ArrayToFloat32(t.data as Uint16Array) };
    case "bfloat16":
      return { dtype: "float32", shape: [...t.shape], data: bfloat16ArrayToFloat32(t.data as Uint16Array) };
    case "int64": {
      const src = t.data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return { dtype: "float32", shape: [...t.shape], data: out };
    }
    default:
      return { dtype: "float32", shape: [...t.shape], data: Float32Array.from(t.data as Int32Array | Uint8Array) };
  }
}

/** A view with a new shape over the same data; one dimension may be -1 and is inferred. */
export function reshape<D extends DType>(t: Tensor<D>, shape: readonly number[]): Tensor<D> {
  const total = t.data.length;
  const inferred = shape.indexOf(-1);
  let resolved = [...shape];
  if (inferred !== -1) {
    if (shape.indexOf(-1, inferred + 1) !== -1) {
      throw new TensorError(`Cannot reshape to [${shape.join(", ")}]: only one dimension can be -1`, {
        shape: [...shape],
      });
    }
    const rest = tensorSize(shape.filter((_, i) => i !== inferred));
    if (rest === 0 || total % rest !== 0) {
      throw new TensorError(
        `Cannot reshape a tensor of ${total} elements ([${t.shape.join(", ")}]) to [${shape.join(", ")}]`,
        { from: [...t.shape], to: [...shape] },
      );
    }
    resolved = shape.map((d, i) => (i === inferred ? total / rest : d));
  }
  if (tensorSize(resolved) !== total) {
    throw new TensorError(
      `Cannot reshape a tensor of ${total} elements ([${t.shape.join(", ")}]) to [${shape.join(", ")}]`,
      { from: [...t.shape], to: [...shape] },
    );
  }
  return { dtype: t.dtype, shape: resolved, data: t.data };
}
