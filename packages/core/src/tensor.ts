/** Element types a tensor may hold (safetensors dtype names in lower case). */
export type DType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool";

/**
 * Storage per dtype. float16/bfloat16 are raw 16-bit patterns (Node 20 has no Float16Array);
 * bool is one byte per element (0/1).
 */
export interface TensorDataMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** A dense row-major tensor. */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TensorDataMap[D];
}
