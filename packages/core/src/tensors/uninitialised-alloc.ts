// Node's uninitialised allocation skips zero-filling (and the page faults of fresh zeroed memory), which is most of
// the cost of a large encode or copy. Only used where every byte is written right after; plain arrays elsewhere.
import type { DType, TensorDataMap } from "../tensor.js";

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** A fresh, unshared byte array whose contents are unspecified: callers overwrite every byte. */
export function allocBytes(size: number): Uint8Array {
  if (nodeBuffer === undefined) return new Uint8Array(size);
  const b = nodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const ARRAY_TYPES: {
  readonly [D in DType]: new (buffer: ArrayBuffer, offset: number, length: number) => TensorDataMap[D];
} = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** A copy of a tensor's data in fresh memory (faster than `slice()` for large arrays: no zero-fill first). */
export function copyTensorData<D extends DType>(dtype: D, data: TensorDataMap[D]): TensorDataMap[D] {
  const bytes = allocBytes(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return new ARRAY_TYPES[dtype](bytes.buffer as ArrayBuffer, bytes.byteOffset, data.length);
}
