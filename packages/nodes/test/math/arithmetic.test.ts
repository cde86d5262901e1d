import { describe, expect, it } from "vitest";
import {
  floatMath,
  floatToInt,
  integerMath,
  linspace,
  MathDomainError,
  pythonMod,
  pythonRange,
  truncatingDivide,
} from "../../src/math/arithmetic.js";

describe("integer arithmetic with Python semantics", () => {
  it("MOD takes the divisor's sign (Python %)", () => {
    expect(pythonMod(-7, 3)).toBe(2);
    expect(pythonMod(7, -3)).toBe(-2);
    expect(pythonMod(-6, 3)).toBe(0);
    expect(integerMath("MOD", 7, 3)).toBe(1);
  });

  it("DIV is int(a / b): truncation toward zero, as InvokeAI writes it", () => {
    expect(truncatingDivide(-7, 2)).toBe(-3);
    expect(truncatingDivide(7, -2)).toBe(-3);
    expect(integerMath("DIV", 7, 2)).toBe(3);
    expect(Object.is(truncatingDivide(-1, 2), 0)).toBe(true);
  });

  it("computes every operation", () => {
    const ops = { ADD: 9, SUB: 3, MUL: 18, DIV: 2, EXP: 216, MOD: 0, ABS: 6, MIN: 3, MAX: 6 } as const;
    for (const [op, expected] of Object.entries(ops)) expect(integerMath(op as keyof typeof ops, 6, 3)).toBe(expected);
    expect(integerMath("ABS", -5, 0)).toBe(5);
    expect(integerMath("EXP", 0, 0)).toBe(1);
  });

  it("refuses division by zero, negative exponents and results beyond 2^53", () => {
    expect(() => integerMath("DIV", 1, 0)).toThrow(MathDomainError);
    expect(() => integerMath("MOD", 1, 0)).toThrow(/divide by zero/);
    expect(() => integerMath("EXP", 2, -1)).toThrow(/not an integer/);
    expect(() => integerMath("EXP", 2, 60)).toThrow(/2\^53/);
    expect(() => integerMath("EXP", 3, 1_000_000)).toThrow(/2\^53/);
    expect(() => integerMath("MUL", 2 ** 40, 2 ** 20)).toThrow(/2\^53/);
    expect(integerMath("EXP", 2, 52)).toBe(2 ** 52);
  });
});

describe("float arithmetic", () => {
  it("computes every operation", () => {
    expect(floatMath("ADD", 0.1, 0.2)).toBe(0.1 + 0.2);
    expect(floatMath("DIV", 1, 4)).toBe(0.25);
    expect(floatMath("EXP", 2, 0.5)).toBeCloseTo(Math.SQRT2, 15);
    expect(floatMath("SQRT", 9, 0)).toBe(3);
    expect(floatMath("MIN", -1, 2)).toBe(-1);
    expect(floatMath("MAX", -1, 2)).toBe(2);
    expect(floatMath("EXP", -8, 3)).toBe(-512);
  });

  it("refuses results Python rejects or cannot represent", () => {
    expect(() => floatMath("DIV", 1, 0)).toThrow(/divide by zero/);
    expect(() => floatMath("EXP", 0, -1)).toThrow(/negative power/);
    expect(() => floatMath("EXP", -8, 1 / 3)).toThrow(/complex/);
    expect(() => floatMath("EXP", 10, 400)).toThrow(/overflows/);
    expect(() => floatMath("SQRT", -1, 0)).toThrow(/negative/);
  });
});

describe("linspace, floatToInt, pythonRange", () => {
  it("matches np.linspace", () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(5, 10, 30).slice(0, 3)).toEqual([5, 5.172413793103448, 5.344827586206897]);
    expect(linspace(1, 1, 3)).toEqual([1, 1, 1]);
    expect(linspace(0, -1, 4)).toEqual([0, -0.3333333333333333, -0.6666666666666666, -1]);
    expect(linspace(3, 9, 1)).toEqual([3]);
    expect(linspace(3, 9, 0)).toEqual([]);
    expect(() => linspace(0, 1, -1)).toThrow(/non-negative/);
  });

  it("rounds floats to multiples by each method", () => {
    expect(floatToInt(2.5, 1, "Nearest")).toBe(2);
    expect(floatToInt(3.5, 1, "Nearest")).toBe(4);
    expect(floatToInt(-2.7, 1, "Floor")).toBe(-3);
    expect(floatToInt(-2.7, 1, "Ceiling")).toBe(-2);
    expect(floatToInt(-2.7, 1, "Truncate")).toBe(-2);
    expect(floatToInt(517, 8, "Nearest")).toBe(520);
    expect(floatToInt(515, 8, "Nearest")).toBe(512);
    expect(floatToInt(516, 8, "Nearest")).toBe(512); // 64.5 rounds half to even
    expect(floatToInt(520, 8, "Floor")).toBe(520);
    expect(floatToInt(521, 8, "Ceiling")).toBe(528);
    expect(() => floatToInt(1e300, 1, "Floor")).toThrow(/2\^53/);
  });

  it("lists Python ranges", () => {
    expect(pythonRange(0, 5, 2)).toEqual([0, 2, 4]);
    expect(pythonRange(5, 0, -2)).toEqual([5, 3, 1]);
    expect(pythonRange(0, 0, 1)).toEqual([]);
    expect(pythonRange(0, 5, -1)).toEqual([]);
    expect(() => pythonRange(0, 5, 0)).toThrow(/must not be zero/);
    expect(() => pythonRange(0, 2 ** 40, 1)).toThrow(/exceeds the limit/);
  });
});
