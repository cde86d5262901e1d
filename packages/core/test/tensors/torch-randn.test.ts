import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  float16BitsToFloat32,
  InvalidSeedError,
  Mt19937,
  TorchCpuGenerator,
  torchRandn,
  toFloat32,
  type RandnDType,
} from "@atelier/core";

const NOISE_DIR = fileURLToPath(new URL("../../../../../shared/fixtures/noise/", import.meta.url));
const fixtureNames = readdirSync(NOISE_DIR).filter((f) => f.endsWith(".safetensors"));

/** Distance from a float16 value to the next one up: the tolerance for noise rounded to half. */
function halfStep(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -14) return 2 ** -24;
  return 2 ** (Math.floor(Math.log2(a)) - 10);
}

describe("Mt19937", () => {
  it("produces the C++ standard's reference output (10000th draw of the default seed is 4123659995)", () => {
    const mt = new Mt19937();
    let v = 0;
    for (let i = 0; i < 10000; i++) v = mt.nextUint32();
    expect(v).toBe(4123659995);
  });

  it("follows init_genrand for the first draws of seed 5489", () => {
    const mt = new Mt19937(5489);
    expect([mt.nextUint32(), mt.nextUint32(), mt.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
  });
});

describe("torchRandn matches torch.randn on CPU", () => {
  it("has noise fixtures to compare with", () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixtureNames)("%s", (name) => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(NOISE_DIR + name)));
    const shape = JSON.parse(metadata.shape) as number[];
    const dtype = metadata.dtype as RandnDType;
    const ours = torchRandn(shape, Number(metadata.seed), dtype);
    expect(ours.dtype).toBe(dtype);
    expect(ours.shape).toEqual(shape);
    const got = toFloat32(ours).data;
    const want = tensors.noise.data as Float32Array;
    expect(got.length).toBe(want.length);
    const bad: string[] = [];
    for (let i = 0; i < want.length; i++) {
      const tolerance = dtype === "float32" ? 1e-5 : halfStep(want[i]) + 1e-7;
      if (!(Math.abs(got[i] - want[i]) <= tolerance)) bad.push(`[${i}] ${got[i]} vs ${want[i]}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it("takes torch's double-precision path below 16 elements (published torch outputs)", () => {
    // torch.manual_seed(0); torch.randn(8) and torch.manual_seed(42); torch.randn(2, 3), as printed by torch.
    const seed0 = Array.from(torchRandn([8], 0).data as Float32Array).map((v) => v.toFixed(4));
    expect(seed0).toEqual(["1.5410", "-0.2934", "-2.1788", "0.5684", "-1.0845", "-1.3986", "0.4033", "0.8380"]);
    const seed42 = Array.from(torchRandn([2, 3], 42).data as Float32Array).map((v) => v.toFixed(4));
    expect(seed42).toEqual(["0.3367", "0.1288", "0.2345", "0.2303", "-1.1229", "-0.1863"]);
  });

  it("casts float32 samples to float16 and bfloat16", () => {
    const f32 = torchRandn([1, 4, 8, 8], 123).data as Float32Array;
    const f16 = torchRandn([1, 4, 8, 8], 123, "float16");
    const bf16 = torchRandn([1, 4, 8, 8], 123, "bfloat16");
    expect(f16.data).toBeInstanceOf(Uint16Array);
    const f16v = toFloat32(f16).data;
    const bf16v = toFloat32(bf16).data;
    for (let i = 0; i < f32.length; i++) {
      expect(Math.abs(f16v[i] - f32[i])).toBeLessThanOrEqual(halfStep(f32[i]) / 2);
      expect(Math.abs(bf16v[i] - f32[i])).toBeLessThanOrEqual(Math.abs(f32[i]) * 2 ** -8);
    }
    expect(float16BitsToFloat32((f16.data as Uint16Array)[0])).toBe(f16v[0]);
  });
});

describe("TorchCpuGenerator stream", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = torchRandn([1, 4, 16, 16], 1234).data;
    expect(torchRandn([1, 4, 16, 16], 1234).data).toEqual(a);
    expect(torchRandn([1, 4, 16, 16], 1235).data).not.toEqual(a);
    const g = new TorchCpuGenerator(1234);
    const first = g.randn([1, 4, 16, 16]);
    expect(first.data).toEqual(a);
    expect(g.randn([1, 4, 16, 16]).data).not.toEqual(a);
    expect(g.manualSeed(1234).randn([1, 4, 16, 16]).data).toEqual(a);
  });

  it("uses the low 32 bits of the seed, and maps negatives as torch does", () => {
    const low = torchRandn([20], 7).data;
    expect(torchRandn([20], 2 ** 32 + 7).data).toEqual(low);
    expect(torchRandn([20], (5n << 40n) + 7n).data).toEqual(low);
    // torch: a negative seed s becomes 0xffff_ffff_ffff_ffff + s, whose low 32 bits are 2^32 - 1 + s.
    expect(new TorchCpuGenerator(-1).initialSeed()).toBe(0xffff_ffff_ffff_fffen);
    expect(torchRandn([20], -1).data).toEqual(torchRandn([20], 2 ** 32 - 2).data);
    expect(() => torchRandn([4], 1.5)).toThrow(InvalidSeedError);
    expect(() => torchRandn([4], 2n ** 64n)).toThrow(/Invalid seed/);
  });

  it("transforms each block of 16 uniforms on its own, so block-aligned prefixes agree", () => {
    const long = torchRandn([64], 99).data;
    expect(torchRandn([32], 99).data).toEqual(long.subarray(0, 32));
    const g = new TorchCpuGenerator(99);
    g.randn([16]);
    expect(g.randn([48]).data).toEqual(long.subarray(16, 64));
  });

  it("recomputes a ragged tail from 16 fresh draws, consuming n + 16 draws", () => {
    const seed = 2024;
    const ragged = torchRandn([20], seed).data;
    // The first 4 come from the first full block, computed from draws 0..15.
    expect(ragged.subarray(0, 4)).toEqual(torchRandn([16], seed).data.subarray(0, 4));
    // The last 16 are a fresh block from draws 20..35.
    const skipper = new TorchCpuGenerator(seed);
    for (let i = 0; i < 20; i++) skipper.random();
    expect(ragged.subarray(4)).toEqual(skipper.randn([16]).data);
    // And the stream continues at draw 36 (where the skipper now stands too).
    const g = new TorchCpuGenerator(seed);
    g.randn([20]);
    expect(g.random()).toBe(skipper.random());
  });

  it("pairs scalar samples through the cached sine half, across calls, reset by manualSeed", () => {
    const g = new TorchCpuGenerator(5);
    const three = g.randn([3]).data;
    const next = g.randn([1]).data[0];
    const four = torchRandn([4], 5).data;
    expect([...three, next]).toEqual([...four]);
    // Each pair used two 64-bit draws.
    const h = new TorchCpuGenerator(5);
    const u1 = h.uniformDouble();
    const u2 = h.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    expect(four[0]).toBeCloseTo(r * Math.cos(2 * Math.PI * u1), 6);
    expect(four[1]).toBeCloseTo(r * Math.sin(2 * Math.PI * u1), 6);
    g.manualSeed(5);
    expect(g.normalDouble()).toBeCloseTo(four[0], 6);
  });

  it("builds random64 from two draws, high word first", () => {
    const a = new TorchCpuGenerator(77);
    const b = new TorchCpuGenerator(77);
    const hi = BigInt(b.random());
    const lo = BigInt(b.random());
    expect(a.random64()).toBe((hi << 32n) | lo);
  });
});
