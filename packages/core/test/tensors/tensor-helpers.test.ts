import { describe, expect, it } from "vitest";
import {
  cloneTensor,
  createTensor,
  float32ToFloat16Bits,
  reshape,
  TensorError,
  tensorSize,
  toFloat32,
} from "@atelier/core";

describe("tensor helpers", () => {
  it("tensorSize multiplies dimensions and refuses bad ones", () => {
    expect(tensorSize([1, 4, 64, 64])).toBe(16384);
    expect(tensorSize([])).toBe(1);
    expect(tensorSize([3, 0, 2])).toBe(0);
    expect(() => tensorSize([2, -1])).toThrow(TensorError);
    expect(() => tensorSize([2.5])).toThrow(/invalid dimension 2.5 at index 0/);
  });

  it("createTensor allocates zeros of the dtype's storage, or adopts matching data", () => {
    const z = createTensor("float16", [2, 3]);
    expect(z.data).toBeInstanceOf(Uint16Array);
    expect(z.data.length).toBe(6);
    expect(createTensor("int64", [2]).data).toEqual(new BigInt64Array(2));
    const data = new Float32Array([1, 2, 3, 4]);
    const t = createTensor("float32", [2, 2], data);
    expect(t.data).toBe(data);
    expect(() => createTensor("float32", [3], data)).toThrow(/4 elements but shape \[3\] needs 3/);
    expect(() => createTensor("int32", [4], data as never)).toThrow(/must be a Int32Array/);
    expect(() => createTensor("float64" as never, [1])).toThrow(TensorError);
  });

  it("cloneTensor copies data and shape", () => {
    const t = createTensor("int32", [3], new Int32Array([1, 2, 3]));
    const c = cloneTensor(t);
    c.data[0] = 9;
    expect(t.data[0]).toBe(1);
    expect(c.shape).toEqual([3]);
    expect(c.shape).not.toBe(t.shape);
  });

  it("toFloat32 converts every dtype and returns float32 tensors as they are", () => {
    const f = createTensor("float32", [1], new Float32Array([1.5]));
    expect(toFloat32(f)).toBe(f);
    const h = createTensor("float16", [3], new Uint16Array([0x3c00, 0xc000, float32ToFloat16Bits(0.1)]));
    expect(Array.from(toFloat32(h).data)).toEqual([1, -2, Math.fround(0.0999755859375)]);
    const b = createTensor("bfloat16", [1], new Uint16Array([0x3fc0]));
    expect(toFloat32(b).data[0]).toBe(1.5);
    const i = createTensor("int64", [2], new BigInt64Array([-3n, 1n << 40n]));
    expect(Array.from(toFloat32(i).data)).toEqual([-3, 2 ** 40]);
    const u = createTensor("bool", [2, 1], new Uint8Array([1, 0]));
    const uf = toFloat32(u);
    expect(Array.from(uf.data)).toEqual([1, 0]);
    expect(uf.shape).toEqual([2, 1]);
  });

  it("reshape shares data, infers one -1 and refuses size changes", () => {
    const t = createTensor("float32", [2, 6]);
    const r = reshape(t, [3, -1]);
    expect(r.shape).toEqual([3, 4]);
    expect(r.data).toBe(t.data);
    expect(reshape(t, [12]).shape).toEqual([12]);
    expect(() => reshape(t, [5, -1])).toThrow(/12 elements .* to \[5, -1\]/);
    expect(() => reshape(t, [-1, -1])).toThrow(/only one dimension/);
    expect(() => reshape(t, [2, 5])).toThrow(TensorError);
  });
});
