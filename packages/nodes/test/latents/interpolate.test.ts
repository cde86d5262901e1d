import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Tensor } from "@atelier/core";
import { describe, expect, it } from "vitest";
import { interpolate, InterpolationError, type InterpolationMode } from "../../src/latents/interpolate.js";
import { slerp } from "../../src/latents/latent-blend.js";

const t = (shape: number[], values: number[]): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(values),
});
const values = (x: Tensor) => Array.from(x.data as Float32Array);

describe("interpolate: small cases derived by hand", () => {
  const square = t([1, 1, 2, 2], [1, 2, 3, 4]);

  it("bilinear 2×2 → 4×4 (align_corners=False: src = (dst + 0.5)/2 - 0.5, clamped at 0)", () => {
    const out = interpolate(square, { size: [4, 4] }, { mode: "bilinear" });
    expect(out.shape).toEqual([1, 1, 4, 4]);
    expect(values(out)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });

  it("nearest doubles pixels; nearest-exact picks floor((dst + 0.5) · scale)", () => {
    expect(values(interpolate(square, { scaleFactor: 2 }, { mode: "nearest" }))).toEqual([
      1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4,
    ]);
    const row = t([1, 1, 1, 3], [10, 20, 30]);
    expect(values(interpolate(row, { size: [1, 2] }, { mode: "nearest-exact" }))).toEqual([10, 30]);
    expect(values(interpolate(row, { size: [1, 2] }, { mode: "nearest" }))).toEqual([10, 20]);
  });

  it("area averages the covered cells", () => {
    const x = t(
      [1, 1, 4, 4],
      Array.from({ length: 16 }, (_, i) => i),
    );
    expect(values(interpolate(x, { size: [2, 2] }, { mode: "area" }))).toEqual([2.5, 4.5, 10.5, 12.5]);
    const y = t([1, 1, 1, 3], [0, 3, 6]);
    // 3 → 2: cells [0, 2) and [1, 3)
    expect(values(interpolate(y, { size: [1, 2] }, { mode: "area" }))).toEqual([1.5, 4.5]);
  });

  it("antialiased bilinear 4 → 2 uses the stretched triangle filter (weights 3/7, 3/7, 1/7)", () => {
    const x = t([1, 1, 1, 4], [0, 1, 2, 3]);
    const out = values(interpolate(x, { size: [1, 2] }, { mode: "bilinear", antialias: true }));
    expect(out[0]).toBeCloseTo(5 / 7, 6);
    expect(out[1]).toBeCloseTo(16 / 7, 6); // center 3: window [1, 4), weights 1/7, 3/7, 3/7
  });

  it("bicubic keeps constants constant and channels independent", () => {
    const x = t([1, 2, 3, 3], [...new Array(9).fill(5), ...new Array(9).fill(-2)]);
    const out = values(interpolate(x, { size: [5, 7] }, { mode: "bicubic" }));
    expect(out.slice(0, 35).every((v) => Math.abs(v - 5) < 1e-6)).toBe(true);
    expect(out.slice(35).every((v) => Math.abs(v + 2) < 1e-6)).toBe(true);
  });

  it("keeps float16 tensors float16", () => {
    const half: Tensor = { dtype: "float16", shape: [1, 1, 1, 2], data: Uint16Array.of(0x3c00, 0x4000) }; // 1, 2
    const out = interpolate(half, { size: [1, 4] }, { mode: "bilinear" });
    expect(out.dtype).toBe("float16");
    expect(Array.from(out.data as Uint16Array)).toEqual([0x3c00, 0x3d00, 0x3f00, 0x4000]); // 1, 1.25, 1.75, 2
  });

  it("refuses what torch refuses, with the field named", () => {
    expect(() => interpolate(square, { size: [2, 2] }, { mode: "linear" })).toThrow(InterpolationError);
    expect(() => interpolate(square, { size: [2, 2] }, { mode: "trilinear" })).toThrow(/5-D/);
    expect(() => interpolate(t([4], [1, 2, 3, 4]), { size: [2, 2] }, { mode: "bilinear" })).toThrow(/4-D/);
    expect(() => interpolate(square, { scaleFactor: 0.1 }, { mode: "bilinear" })).toThrow(/must be positive/);
    try {
      interpolate(square, { scaleFactor: -1 }, { mode: "bilinear" });
    } catch (err) {
      expect((err as InterpolationError).details.field).toBe("scale_factor");
    }
  });
});

interface ReferenceCase {
  shape: number[];
  input: number[];
  target: { size?: [number, number]; scale_factor?: number };
  mode: InterpolationMode;
  antialias: boolean;
  out_shape: number[];
  output: number[];
}

describe("interpolate against torch.nn.functional.interpolate", () => {
  // Written by generate-interpolate-reference.py (torch 2.x on CPU); 1e-4 is the required agreement.
  const reference = JSON.parse(
    readFileSync(fileURLToPath(new URL("./interpolate-reference.json", import.meta.url)), "utf8"),
  ) as { cases: ReferenceCase[] };

  it("has cases for every mode", () => {
    const modes = new Set(reference.cases.map((c) => `${c.mode}${c.antialias ? "+aa" : ""}`));
    expect([...modes].sort()).toEqual([
      "area",
      "bicubic",
      "bicubic+aa",
      "bilinear",
      "bilinear+aa",
      "nearest",
      "nearest-exact",
    ]);
  });

  it("agrees to 1e-4 on every case", () => {
    for (const c of reference.cases) {
      const input = t(c.shape, c.input);
      const target = c.target.size ? { size: c.target.size } : { scaleFactor: c.target.scale_factor! };
      const out = interpolate(input, target, { mode: c.mode, antialias: c.antialias });
      const label = `${c.mode}${c.antialias ? "+aa" : ""} ${c.shape.join("x")} → ${JSON.stringify(c.target)}`;
      expect(out.shape, label).toEqual(c.out_shape);
      const got = values(out);
      const worst = Math.max(...got.map((v, i) => Math.abs(v - c.output[i])));
      expect(worst, label).toBeLessThan(1e-4);
    }
  });
});

describe("slerp", () => {
  it("interpolates along the arc between orthogonal vectors", () => {
    const out = slerp(0.5, Float32Array.of(1, 0), Float32Array.of(0, 1));
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(out[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it("falls back to lerp for parallel vectors and returns the ends at t = 0 and 1", () => {
    expect(Array.from(slerp(0.25, Float32Array.of(1, 2), Float32Array.of(2, 4)))).toEqual([1.25, 2.5]);
    const a = Float32Array.of(1, -2, 0.5);
    const b = Float32Array.of(-0.5, 1, 3);
    expect(Array.from(slerp(0, a, b)).map((v) => +v.toFixed(6))).toEqual([1, -2, 0.5]);
    expect(Array.from(slerp(1, a, b)).map((v) => +v.toFixed(6))).toEqual([-0.5, 1, 3]);
  });
});
