import { describe, expect, it } from "vitest";
import { Mt19937 } from "../../src/tensors/mt19937.js";

const draws = (mt: Mt19937, n: number): number[] => Array.from({ length: n }, () => mt.nextUint32());

describe("Mt19937.seedByArray (init_by_array)", () => {
  it("matches the reference mt19937ar.out for key {0x123, 0x234, 0x345, 0x456}", () => {
    const mt = new Mt19937();
    mt.seedByArray([0x123, 0x234, 0x345, 0x456]);
    expect(draws(mt, 5)).toEqual([1067595299, 955945823, 477289528, 4107218783, 4228976476]);
  });

  it("matches CPython's random.seed(0) (key [0])", () => {
    const mt = new Mt19937();
    mt.seedByArray([0]);
    expect(draws(mt, 3)).toEqual([3626764237, 1654615998, 3255389356]);
  });

  it("refuses an empty key", () => {
    expect(() => new Mt19937().seedByArray([])).toThrow(/at least one key word/);
  });
});

describe("Mt19937.setState", () => {
  // init_genrand(5489) written out here, so the loaded state is independent of the class's own seeding.
  const initGenrand = (seed: number): number[] => {
    const s = [seed >>> 0];
    for (let i = 1; i < 624; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      s.push((Math.imul(1812433253, prev) + i) >>> 0);
    }
    return s;
  };

  it("continues from a loaded state like the generator that produced it", () => {
    const mt = new Mt19937(1);
    mt.setState(initGenrand(5489), 624);
    expect(draws(mt, 3)).toEqual([3499211612, 581869302, 3890346734]);
  });

  it("reads from the given index before the next twist", () => {
    const words = initGenrand(5489);
    const mt = new Mt19937();
    mt.setState(words, 623);
    let y = words[623];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    expect(mt.nextUint32()).toBe(y >>> 0);
    // The next draw twists, giving the reference stream's first output.
    expect(mt.nextUint32()).toBe(3499211612);
  });

  it("refuses a state of the wrong size or a bad index", () => {
    expect(() => new Mt19937().setState([1, 2, 3], 0)).toThrow(/624 words/);
    expect(() => new Mt19937().setState(new Array<number>(624).fill(1), 625)).toThrow(/index/);
  });
});
