import { CanceledError, IntegerOutput, InputField, defineInvocation, z } from "@atelier/core";

/** `test_sleep`: waits `ms` in steps with progress, stops when canceled, outputs `value`. For cancel and load tests. */
export const TestSleepInvocation = defineInvocation({
  type: "test_sleep",
  title: "Test Sleep",
  version: "1.0.0",
  useCache: false,
  inputs: {
    ms: InputField(z.number().int().min(0), { default: 50, description: "How long to wait" }),
    value: InputField(z.number().int(), { default: 0, description: "What to output" }),
  },
  output: IntegerOutput,
  async invoke(context) {
    const steps = 5;
    for (let i = 1; i <= steps; i++) {
      await new Promise((resolve) => setTimeout(resolve, this.ms / steps));
      if (context.util.isCanceled()) throw new CanceledError();
      context.util.signalProgress(`step ${i}/${steps}`, i / steps);
    }
    return { value: this.value };
  },
});

/** `test_fail`: always throws, with `message`. */
export const TestFailInvocation = defineInvocation({
  type: "test_fail",
  title: "Test Fail",
  version: "1.0.0",
  useCache: false,
  inputs: { message: InputField(z.string(), { default: "boom", description: "The error message" }) },
  output: IntegerOutput,
  invoke() {
    throw new RangeError(this.message);
  },
});

/** Module-shaped export for `nodeModules`. */
export const TEST_NODE_MODULE: Readonly<Record<string, unknown>> = { TestSleepInvocation, TestFailInvocation };
