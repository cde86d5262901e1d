import { describe, expect, it } from "vitest";
import { NumpyPcg64 } from "../../src/math/numpy-random.js";

// Expected values printed by numpy 2.x: list(np.random.default_rng(seed).integers(low, high, size)).
describe("NumpyPcg64 (np.random.default_rng(seed).integers)", () => {
  it.each([
    [0, 0, 2147483647, 5, [1826701614, 1367864806, 1097657231, 579362555, 661058651]],
    [42, -10, 10, 8, [-9, 5, 3, -2, -2, 7, -9, 3]],
    [123, 1, 7, 10, [1, 5, 4, 1, 6, 2, 2, 2, 3, 2]],
    [99, -5, 0, 6, [-1, -3, -2, -3, -5, -3]],
    [4294967295, 5, 6, 3, [5, 5, 5]],
  ])("seed %s, integers(%s, %s, %s)", (seed, low, high, size, expected) => {
    expect(new NumpyPcg64(seed).integers(low, high, size)).toEqual(expected);
  });

  it("covers the full 32-bit and the 64-bit ranges", () => {
    expect(new NumpyPcg64(7).integers(0, 2 ** 32, 3)).toEqual([4058335883, 2684764585, 2938530453]);
    expect(new NumpyPcg64(2n ** 40n + 7n).integers(0, 2 ** 40, 4)).toEqual([
      912388923444, 280710990236, 169094680324, 741625591169,
    ]);
  });

  it("rejects an empty range and negative seeds", () => {
    expect(() => new NumpyPcg64(1).integers(3, 3, 1)).toThrow(/low >= high/);
    expect(() => new NumpyPcg64(-1)).toThrow(/non-negative/);
  });
});
