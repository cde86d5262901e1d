import { describe, expect, it } from "vitest";
import {
  bfloat16ArrayToFloat32,
  bfloat16BitsToFloat32,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "@atelier/core";

// Independent reference: the IEEE definition of a binary16 value.
function halfValue(h: number): number {
  const sign = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * (m / 1024) * 2 ** -14;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const isNaNHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe("float16", () => {
  it("widens all 65536 patterns exactly, and narrows each value back to its own pattern", () => {
    const wrong: string[] = [];
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const v = float16BitsToFloat32(h);
      if (isNaNHalf(h)) {
        if (!Number.isNaN(v) || !isNaNHalf(float32ToFloat16Bits(v))) wrong.push(`NaN ${h}`);
        nans++;
      } else if (!Object.is(v, halfValue(h)) || float32ToFloat16Bits(v) !== h) {
        wrong.push(`${h}: ${v}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(nans).toBe(2 * 1023);
  });

  it("rounds to nearest, ties to even, between every pair of neighbouring finite halves", () => {
    // For each finite positive half h below the largest: the midpoint to its successor ties to the even one,
    // and exact float32 values just beside the midpoint go to the nearer one.
    const wrong: string[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const lo = halfValue(h);
      const hi = halfValue(h + 1);
      const mid = (lo + hi) / 2;
      const even = (h & 1) === 0 ? h : h + 1;
      const below = Math.fround(mid - (hi - lo) / 8);
      const above = Math.fround(mid + (hi - lo) / 8);
      if (
        Math.fround(mid) !== mid ||
        float32ToFloat16Bits(mid) !== even ||
        float32ToFloat16Bits(-mid) !== (even | 0x8000) ||
        float32ToFloat16Bits(below) !== h ||
        float32ToFloat16Bits(above) !== h + 1
      ) {
        wrong.push(`between ${h} and ${h + 1}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("overflows to infinity at the half-ULP above 65504 and underflows to signed zero", () => {
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie rounds to even: the infinity pattern
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // exact tie between 0 and the smallest subnormal
    expect(float32ToFloat16Bits(Math.fround(2 ** -25 * 1.0001))).toBe(1);
    expect(float32ToFloat16Bits(-1e-30)).toBe(0x8000);
    expect(float32ToFloat16Bits(1e-45)).toBe(0); // a float32 subnormal
  });

  it("bulk converters agree with the scalar ones", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = float16ArrayToFloat32(all);
    for (let h = 0; h < 65536; h += 97) expect(Object.is(wide[h], float16BitsToFloat32(h))).toBe(true);
    const values = Float32Array.from([0, -0, 1 / 3, -2.5, 70000, 1e-6, 6e-8, NaN]);
    const narrow = float32ArrayToFloat16(values);
    values.forEach((v, i) => expect(narrow[i]).toBe(float32ToFloat16Bits(v)));
  });
});

describe("bfloat16", () => {
  it("widens all 65536 patterns to the float32 with those top bits, and narrows them back", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const wrong: string[] = [];
    for (let b = 0; b < 65536; b++) {
      u[0] = b << 16;
      const v = bfloat16BitsToFloat32(b);
      if (Number.isNaN(f[0])) {
        if (!Number.isNaN(v) || !Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(v)))) wrong.push(`NaN ${b}`);
      } else if (!Object.is(v, f[0]) || float32ToBfloat16Bits(v) !== b) {
        wrong.push(`${b}: ${v}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("rounds to nearest even on the dropped 16 bits, overflowing to infinity", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const at = (bits: number) => ((u[0] = bits >>> 0), f[0]);
    expect(float32ToBfloat16Bits(at(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(float32ToBfloat16Bits(at(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(float32ToBfloat16Bits(at(0x3f808001))).toBe(0x3f81);
    expect(float32ToBfloat16Bits(at(0x3f807fff))).toBe(0x3f80);
    expect(float32ToBfloat16Bits(at(0x7f7fffff))).toBe(0x7f80);
    expect(float32ToBfloat16Bits(at(0xff7fffff))).toBe(0xff80);
    const values = Float32Array.from([1.00390625, -3.14159, 1e38, NaN, 0]);
    const narrow = float32ArrayToBfloat16(values);
    values.forEach((v, i) => expect(narrow[i]).toBe(float32ToBfloat16Bits(v)));
    const back = bfloat16ArrayToFloat32(narrow);
    narrow.forEach((b, i) => expect(Object.is(back[i], bfloat16BitsToFloat32(b))).toBe(true));
  });
});
