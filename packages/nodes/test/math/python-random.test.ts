import { describe, expect, it } from "vitest";
import { PythonRandom } from "../../src/math/python-random.js";

// Expected values printed by CPython 3.11's `random` module for the same seeds.
describe("PythonRandom (CPython's random.Random)", () => {
  it("random() matches CPython for seed 42", () => {
    const r = new PythonRandom(42);
    expect([r.random(), r.random(), r.random()]).toEqual([
      0.6394267984578837, 0.025010755222666936, 0.27502931836911926,
    ]);
  });

  it("seed 0 gives CPython's first 32-bit words", () => {
    const r = new PythonRandom(0);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([3626764237, 1654615998, 3255389356]);
  });

  it("seeds wider than 32 bits use every word (init_by_array)", () => {
    const r = new PythonRandom(2n ** 40n + 5n);
    expect([1, 2, 3, 4, 5].map(() => r.randint(1, 1000))).toEqual([517, 530, 276, 680, 949]);
  });

  it("negative seeds use the absolute value", () => {
    const a = new PythonRandom(-7);
    expect([a.random(), a.random()]).toEqual([0.32383276483316237, 0.15084917392450192]);
    const b = new PythonRandom(7);
    expect(b.random()).toBe(0.32383276483316237);
  });

  it("choices() bisects cumulative weights like CPython", () => {
    const r = new PythonRandom(123);
    expect(r.choices(["a", "b", "c"], [1, 2, 3], 5)).toEqual(["a", "a", "b", "a", "c"]);
  });

  it("randint(a, a) still consumes bits, as CPython's _randbelow(1) does", () => {
    const r = new PythonRandom(5);
    expect([r.randint(1, 1), r.randint(1, 1), r.randint(1, 1)]).toEqual([1, 1, 1]);
    expect(r.random()).toBe(0.8403481205226678);
  });

  it("getrandbits over 32 bits fills least significant words first", () => {
    const r = new PythonRandom(9);
    expect(r.getrandbits(70)).toBe(435586938174825801326n);
    expect(r.getrandbits(64)).toBe(2555601105289669628n);
  });

  it("refuses bad arguments with clear errors", () => {
    const r = new PythonRandom(1);
    expect(() => r.randrange(5, 5)).toThrow(/empty range/);
    expect(() => r.choices(["a"], [0])).toThrow(/greater than zero/);
    expect(() => r.choices(["a", "b"], [1])).toThrow(/does not match/);
    expect(() => new PythonRandom(1.5)).toThrow(/integer/);
  });

  it("shuffle is a permutation and deterministic per seed", () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8];
    const b = [...a];
    new PythonRandom(3).shuffle(a);
    new PythonRandom(3).shuffle(b);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
