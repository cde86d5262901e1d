import { describe, expect, it } from "vitest";
import { pythonRound } from "../../src/math/python-round.js";

// Expected values from CPython's round().
describe("pythonRound", () => {
  it.each([
    [2.675, 2, 2.67],
    [0.125, 2, 0.12],
    [0.285, 2, 0.28],
    [2.5, 0, 2],
    [-2.5, 0, -2],
    [3.5, 0, 4],
    [1.005, 2, 1],
    [1234.5678, -2, 1200],
    [1250, -2, 1200],
    [1350, -2, 1400],
    [-1.5, 0, -2],
    [5e-324, 300, 0],
    [1e300, 2, 1e300],
    [0.1 + 0.2, 1, 0.3],
  ])("round(%s, %s) = %s", (x, n, expected) => {
    expect(pythonRound(x, n)).toBe(expected);
  });

  it("keeps the sign of zero results and passes non-finite values through", () => {
    expect(Object.is(pythonRound(-0.4), -0)).toBe(true);
    expect(pythonRound(Number.POSITIVE_INFINITY, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(pythonRound(Number.NaN, 2))).toBe(true);
    expect(pythonRound(123.456, 400)).toBe(123.456);
  });

  it("refuses a fractional ndigits", () => {
    expect(() => pythonRound(1, 0.5)).toThrow(/integer/);
  });
});
