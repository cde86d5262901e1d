/**
 * The arithmetic of InvokeAI's math nodes, with Python's semantics where they differ from JavaScript's:
 * integer `DIV` is `int(a / b)` (true division, then truncation toward zero — not floor division), `MOD` is
 * Python's `%` (the result takes the divisor's sign), integers never silently lose precision.
 */
import { AtelierError } from "@atelier/core";
import { pythonRound } from "./python-round.js";

/** `integer_math` operations, in InvokeAI's order. */
export const INTEGER_OPERATIONS = ["ADD", "SUB", "MUL", "DIV", "EXP", "MOD", "ABS", "MIN", "MAX"] as const;
/** One `integer_math` operation. */
export type IntegerOperation = (typeof INTEGER_OPERATIONS)[number];

/** `float_math` operations, in InvokeAI's order. */
export const FLOAT_OPERATIONS = ["ADD", "SUB", "MUL", "DIV", "EXP", "ABS", "SQRT", "MIN", "MAX"] as const;
/** One `float_math` operation. */
export type FloatOperation = (typeof FLOAT_OPERATIONS)[number];

/** A math operation has no representable result (division by zero, complex root, overflow). */
export class MathDomainError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("math_domain_error", message, { status: 422, details });
  }
}

function checkedInteger(result: number | bigint, op: string, a: number, b: number): number {
  const n = typeof result === "bigint" ? result : BigInt(Math.round(result));
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MathDomainError(`${op} of ${a} and ${b} is outside the exactly representable integer range (±2^53)`, {
      field: "b",
      operation: op,
      a,
      b,
    });
  }
  return Number(n);
}

/** Python's `a % b` for integers (sign of the divisor). */
export function pythonMod(a: number, b: number): number {
  if (b === 0) throw new MathDomainError("Cannot divide by zero", { field: "b", operation: "MOD", a, b });
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r === 0 ? 0 : r;
}

/** Python's `int(a / b)`: true division truncated toward zero. */
export function truncatingDivide(a: number, b: number): number {
  if (b === 0) throw new MathDomainError("Cannot divide by zero", { field: "b", operation: "DIV", a, b });
  return Math.trunc(a / b) || 0;
}

/** One `integer_math` operation on two integers. */
export function integerMath(op: IntegerOperation, a: number, b: number): number {
  switch (op) {
    case "ADD":
      return checkedInteger(BigInt(a) + BigInt(b), op, a, b);
    case "SUB":
      return checkedInteger(BigInt(a) - BigInt(b), op, a, b);
    case "MUL":
      return checkedInteger(BigInt(a) * BigInt(b), op, a, b);
    case "DIV":
      return truncatingDivide(a, b);
    case "EXP":
      if (b < 0) {
        throw new MathDomainError("Result of exponentiation is not an integer", { field: "b", operation: op, a, b });
      }
      // Bound the exponent before BigInt builds a number with millions of digits.
      if (Math.abs(a) > 1 && b > 64) return checkedInteger(BigInt(Number.MAX_SAFE_INTEGER) + 1n, op, a, b);
      return checkedInteger(BigInt(a) ** BigInt(b), op, a, b);
    case "MOD":
      return pythonMod(a, b);
    case "ABS":
      return Math.abs(a);
    case "MIN":
      return Math.min(a, b);
    case "MAX":
      return Math.max(a, b);
  }
}

/** One `float_math` operation on two floats. */
export function floatMath(op: FloatOperation, a: number, b: number): number {
  let result: number;
  switch (op) {
    case "ADD":
      result = a + b;
      break;
    case "SUB":
      result = a - b;
      break;
    case "MUL":
      result = a * b;
      break;
    case "DIV":
      if (b === 0) throw new MathDomainError("Cannot divide by zero", { field: "b", operation: op, a, b });
      result = a / b;
      break;
    case "EXP":
      if (a === 0 && b < 0) {
        throw new MathDomainError("Cannot raise zero to a negative power", { field: "b", operation: op, a, b });
      }
      if (a < 0 && !Number.isInteger(b)) {
        throw new MathDomainError("Root operation resulted in a complex number", { field: "b", operation: op, a, b });
      }
      result = a ** b;
      break;
    case "ABS":
      return Math.abs(a);
    case "SQRT":
      // numpy would return NaN here, which no JSON consumer can carry; refuse instead.
      if (a < 0) throw new MathDomainError(`Square root of a negative number (${a})`, { field: "a", operation: op, a });
      return Math.sqrt(a);
    case "MIN":
      return b < a ? b : a;
    case "MAX":
      return b > a ? b : a;
  }
  if (!Number.isFinite(result)) {
    throw new MathDomainError(`${op} of ${a} and ${b} overflows a float`, { field: "b", operation: op, a, b });
  }
  return result;
}

/** `np.linspace(start, stop, num)` (endpoint included, last value exactly `stop`). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (!Number.isInteger(num) || num < 0) {
    throw new MathDomainError(`Number of samples, ${num}, must be non-negative`, { field: "steps", value: num });
  }
  if (num === 0) return [];
  if (num === 1) return [start];
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(step === 0 ? (i / div) * delta + start : i * step + start);
  out[num - 1] = stop;
  return out;
}

/** Rounding modes of `float_to_int`. */
export type FloatToIntMethod = "Nearest" | "Floor" | "Ceiling" | "Truncate";

/** `float_to_int`: `value / multiple` rounded by `method`, times `multiple` ("Nearest" is Python's half-even). */
export function floatToInt(value: number, multiple: number, method: FloatToIntMethod): number {
  const q = value / multiple;
  let n: number;
  if (method === "Nearest") n = pythonRound(q);
  else if (method === "Floor") n = Math.floor(q);
  else if (method === "Ceiling") n = Math.ceil(q);
  else n = Math.trunc(q);
  if (!Number.isFinite(n)) {
    throw new MathDomainError(`Cannot convert ${value} to an integer`, { field: "value", value });
  }
  return checkedInteger(n * multiple, "float_to_int", value, multiple) || 0;
}

/** Python's `range(start, stop, step)` as a list. */
export function pythonRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new MathDomainError("range() arg 3 must not be zero", { field: "step", value: step });
  const out: number[] = [];
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE_LENGTH) {
    throw new MathDomainError(`range of ${count} items exceeds the limit of ${MAX_RANGE_LENGTH}`, {
      field: "stop",
      start,
      stop,
      step,
    });
  }
  for (let i = 0; i < count; i++) out.push(start + i * step);
  return out;
}

/** Upper bound on generated collections, so a typo cannot exhaust memory. */
export const MAX_RANGE_LENGTH = 10_000_000;
