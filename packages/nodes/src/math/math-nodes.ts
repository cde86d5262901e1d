/**
 * InvokeAI's math nodes (`invocations/math.py`, `param_easing.py`) with Python's number semantics: see
 * arithmetic.ts for division and modulo, python-round.ts for rounding.
 */
import { defineInvocation, FloatCollectionOutput, FloatOutput, InputField, IntegerOutput, z } from "@atelier/core";
import { failField, withFieldErrors } from "../logic/field-errors.js";
import {
  FLOAT_OPERATIONS,
  floatMath,
  floatToInt,
  INTEGER_OPERATIONS,
  integerMath,
  linspace,
  truncatingDivide,
} from "./arithmetic.js";
import { EASING_MODES, stepParamEasing } from "./easing.js";
import { pythonRound } from "./python-round.js";

const INT32_MAX = 2147483647;
const int = () => z.number().int();
const first = (d: number) => InputField(int(), { default: d, description: "The first number" });
const second = (d: number) => InputField(int(), { default: d, description: "The second number" });

/** `add`: a + b. */
export const AddInvocation = defineInvocation({
  type: "add",
  title: "Add Integers",
  tags: ["math", "add"],
  category: "math",
  version: "1.0.1",
  description: "Adds two numbers",
  inputs: { a: first(0), b: second(0) },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => integerMath("ADD", this.a, this.b)) };
  },
});

/** `sub`: a - b. */
export const SubtractInvocation = defineInvocation({
  type: "sub",
  schemaName: "SubtractInvocation",
  title: "Subtract Integers",
  tags: ["math", "subtract"],
  category: "math",
  version: "1.0.1",
  description: "Subtracts two numbers",
  inputs: { a: first(0), b: second(0) },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => integerMath("SUB", this.a, this.b)) };
  },
});

/** `mul`: a · b. */
export const MultiplyInvocation = defineInvocation({
  type: "mul",
  schemaName: "MultiplyInvocation",
  title: "Multiply Integers",
  tags: ["math", "multiply"],
  category: "math",
  version: "1.0.1",
  description: "Multiplies two numbers",
  inputs: { a: first(0), b: second(0) },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => integerMath("MUL", this.a, this.b)) };
  },
});

/** `div`: `int(a / b)`, truncated toward zero as InvokeAI computes it. */
export const DivideInvocation = defineInvocation({
  type: "div",
  schemaName: "DivideInvocation",
  title: "Divide Integers",
  tags: ["math", "divide"],
  category: "math",
  version: "1.0.1",
  description: "Divides two numbers",
  inputs: { a: first(0), b: second(0) },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => truncatingDivide(this.a, this.b)) };
  },
});

/** `rand_int`: uniform in [low, high). Never cached. */
export const RandomIntInvocation = defineInvocation({
  type: "rand_int",
  schemaName: "RandomIntInvocation",
  title: "Random Integer",
  tags: ["math", "random"],
  category: "math",
  version: "1.0.1",
  useCache: false,
  description: "Outputs a single random integer.",
  inputs: {
    low: InputField(int(), { default: 0, description: "The inclusive low value" }),
    high: InputField(int(), { default: INT32_MAX, description: "The exclusive high value" }),
  },
  output: IntegerOutput,
  invoke() {
    if (this.high <= this.low) failField(this, "high", `must be greater than low (${this.low})`, this.high);
    return { value: this.low + Math.floor(Math.random() * (this.high - this.low)) };
  },
});

/** `rand_float`: uniform between low and high, rounded half-even to `decimals`. Never cached. */
export const RandomFloatInvocation = defineInvocation({
  type: "rand_float",
  schemaName: "RandomFloatInvocation",
  title: "Random Float",
  tags: ["math", "float", "random"],
  category: "math",
  version: "1.0.1",
  useCache: false,
  description: "Outputs a single random float",
  inputs: {
    low: InputField(z.number(), { default: 0, description: "The inclusive low value" }),
    high: InputField(z.number(), { default: 1, description: "The exclusive high value" }),
    decimals: InputField(int(), { default: 2, description: "The number of decimal places to round to" }),
  },
  output: FloatOutput,
  invoke() {
    const value = this.low + (this.high - this.low) * Math.random();
    return { value: pythonRound(value, this.decimals) };
  },
});

/** `float_to_int`: value / multiple rounded by `method`, times multiple. */
export const FloatToIntegerInvocation = defineInvocation({
  type: "float_to_int",
  schemaName: "FloatToIntegerInvocation",
  title: "Float To Integer",
  tags: ["math", "round", "integer", "float", "convert"],
  category: "math",
  version: "1.0.1",
  description: "Rounds a float number to (a multiple of) an integer.",
  inputs: {
    value: InputField(z.number(), { default: 0, description: "The value to round" }),
    multiple: InputField(int().gte(1), { default: 1, title: "Multiple of", description: "The multiple to round to" }),
    method: InputField(z.enum(["Nearest", "Floor", "Ceiling", "Truncate"]), {
      default: "Nearest",
      description: "The method to use for rounding",
    }),
  },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => floatToInt(this.value, this.multiple, this.method)) };
  },
});

/** `round_float`: Python's `round(value, decimals)` (half to even on the exact binary value). */
export const RoundInvocation = defineInvocation({
  type: "round_float",
  schemaName: "RoundInvocation",
  title: "Round Float",
  tags: ["math", "round"],
  category: "math",
  version: "1.0.1",
  description: "Rounds a float to a specified number of decimal places.",
  inputs: {
    value: InputField(z.number(), { default: 0, description: "The float value" }),
    decimals: InputField(int(), { default: 0, description: "The number of decimal places" }),
  },
  output: FloatOutput,
  invoke() {
    return { value: pythonRound(this.value, this.decimals) };
  },
});

const INTEGER_LABELS = {
  ADD: "Add A+B",
  SUB: "Subtract A-B",
  MUL: "Multiply A*B",
  DIV: "Divide A/B",
  EXP: "Exponentiate A^B",
  MOD: "Modulus A%B",
  ABS: "Absolute Value of A",
  MIN: "Minimum(A,B)",
  MAX: "Maximum(A,B)",
};

/** `integer_math`: one of ADD SUB MUL DIV EXP MOD ABS MIN MAX on integers. */
export const IntegerMathInvocation = defineInvocation({
  type: "integer_math",
  title: "Integer Math",
  tags: [
    "math",
    "integer",
    "add",
    "subtract",
    "multiply",
    "divide",
    "modulus",
    "power",
    "absolute value",
    "min",
    "max",
  ],
  category: "math",
  version: "1.0.1",
  description: "Performs integer math.",
  inputs: {
    operation: InputField(z.enum(INTEGER_OPERATIONS), {
      default: "ADD",
      description: "The operation to perform",
      ui_choice_labels: INTEGER_LABELS,
    }),
    a: first(1),
    b: second(1),
  },
  output: IntegerOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => integerMath(this.operation, this.a, this.b)) };
  },
});

/** `float_math`: one of ADD SUB MUL DIV EXP ABS SQRT MIN MAX on floats. */
export const FloatMathInvocation = defineInvocation({
  type: "float_math",
  title: "Float Math",
  tags: ["math", "float", "add", "subtract", "multiply", "divide", "power", "root", "absolute value", "min", "max"],
  category: "math",
  version: "1.0.1",
  description: "Performs floating point math.",
  inputs: {
    operation: InputField(z.enum(FLOAT_OPERATIONS), {
      default: "ADD",
      description: "The operation to perform",
      ui_choice_labels: {
        ADD: "Add A+B",
        SUB: "Subtract A-B",
        MUL: "Multiply A*B",
        DIV: "Divide A/B",
        EXP: "Exponentiate A^B",
        ABS: "Absolute Value of A",
        SQRT: "Square Root of A",
        MIN: "Minimum(A,B)",
        MAX: "Maximum(A,B)",
      },
    }),
    a: InputField(z.number(), { default: 1, description: "The first number" }),
    b: InputField(z.number(), { default: 1, description: "The second number" }),
  },
  output: FloatOutput,
  invoke() {
    return { value: withFieldErrors(this, this, () => floatMath(this.operation, this.a, this.b)) };
  },
});

/** `float_range`: `np.linspace(start, stop, steps)`. */
export const FloatLinearRangeInvocation = defineInvocation({
  type: "float_range",
  schemaName: "FloatLinearRangeInvocation",
  title: "Float Range",
  tags: ["math", "range"],
  category: "math",
  version: "1.0.1",
  description: "Creates a range",
  inputs: {
    start: InputField(z.number(), { default: 5, description: "The first value of the range" }),
    stop: InputField(z.number(), { default: 10, description: "The last value of the range" }),
    steps: InputField(int(), {
      default: 30,
      description: "number of values to interpolate over (including start and stop)",
    }),
  },
  output: FloatCollectionOutput,
  invoke() {
    return { collection: withFieldErrors(this, this, () => linspace(this.start, this.stop, this.steps)) };
  },
});

/** `step_param_easing`: per-step values following an easing curve (InvokeAI 4.x/5.x; gone at the reference snapshot). */
export const StepParamEasingInvocation = defineInvocation({
  type: "step_param_easing",
  title: "Step Param Easing",
  tags: ["step", "easing"],
  category: "step",
  version: "1.0.2",
  description: "Experimental per-step parameter easing for denoising steps",
  inputs: {
    easing: InputField(z.enum(EASING_MODES), { default: "Linear", description: "The easing function to use" }),
    num_steps: InputField(int(), { default: 20, description: "number of denoising steps" }),
    start_value: InputField(z.number(), { default: 0, description: "easing starting value" }),
    end_value: InputField(z.number(), { default: 1, description: "easing ending value" }),
    start_step_percent: InputField(z.number(), {
      default: 0,
      description: "fraction of steps at which to start easing",
    }),
    end_step_percent: InputField(z.number(), {
      default: 1,
      description: "fraction of steps after which to end easing",
    }),
    pre_start_value: InputField(z.number(), { default: null, description: "value before easing start" }),
    post_end_value: InputField(z.number(), { default: null, description: "value after easing end" }),
    mirror: InputField(z.boolean(), { default: false, description: "include mirror of easing function" }),
    show_easing_plot: InputField(z.boolean(), { default: false, description: "show easing plot" }),
  },
  output: FloatCollectionOutput,
  invoke(context) {
    if (this.num_steps < 0) failField(this, "num_steps", "must not be negative", this.num_steps);
    // InvokeAI opens a matplotlib window on the server; a headless engine has nowhere to show it.
    if (this.show_easing_plot) context.logger.info("step_param_easing: show_easing_plot is ignored (no display)");
    return { collection: stepParamEasing(this) };
  },
});

/** Every math node. */
export const MATH_NODES = [
  AddInvocation,
  SubtractInvocation,
  MultiplyInvocation,
  DivideInvocation,
  RandomIntInvocation,
  RandomFloatInvocation,
  FloatToIntegerInvocation,
  RoundInvocation,
  IntegerMathInvocation,
  FloatMathInvocation,
  FloatLinearRangeInvocation,
  StepParamEasingInvocation,
] as const;
