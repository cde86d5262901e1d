// Small nodes for the queue, processor and cache tests (also loaded by the crash-recovery child process).
import { appendFileSync } from "node:fs";
import {
  CanceledError,
  defineInvocation,
  defineOutput,
  ImageOutput,
  InputField,
  IntegerCollectionOutput,
  IntegerOutput,
  NodeRegistry,
  OutputField,
  registerCoreNodes,
  StringOutput,
  TensorField,
  z,
  type AnyInvocationDefinition,
  type InvocationContext,
} from "@atelier/core";

/** How many times each counting node ran, by node type (reset by the tests). */
export const invocations: Record<string, number> = {};

function count(type: string): void {
  invocations[type] = (invocations[type] ?? 0) + 1;
}

/** Resolves after `ms`, or rejects with CanceledError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CanceledError());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CanceledError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const int = (d: number) => InputField(z.number().int(), { default: d });

export const AddNode = defineInvocation({
  type: "add",
  version: "1.0.1",
  inputs: { a: int(0), b: int(0) },
  output: IntegerOutput,
  invoke() {
    return { value: this.a + this.b };
  },
});

export const IntegerNode = defineInvocation({
  type: "integer",
  version: "1.0.1",
  inputs: { value: int(0) },
  output: IntegerOutput,
  invoke() {
    return { value: this.value };
  },
});

export const StringNode = defineInvocation({
  type: "string",
  version: "1.0.1",
  inputs: { value: InputField(z.string(), { default: "" }) },
  output: StringOutput,
  invoke() {
    return { value: this.value };
  },
});

export const RangeNode = defineInvocation({
  type: "range",
  version: "1.0.0",
  inputs: { start: int(0), stop: int(10), step: int(1) },
  output: IntegerCollectionOutput,
  invoke() {
    const out: number[] = [];
    for (let i = this.start; i < this.stop; i += this.step) out.push(i);
    return { collection: out };
  },
});

/** Sleeps `ms` (stopping at once when canceled), then outputs `value`; records when it ran. */
export const SleepNode = defineInvocation({
  type: "test_sleep",
  version: "1.0.0",
  useCache: false,
  inputs: { ms: int(10), value: int(0) },
  output: IntegerOutput,
  async invoke(context) {
    count("test_sleep");
    const started = Date.now();
    await sleep(this.ms, context.util.signal);
    spans.push({ id: this.id, started, ended: Date.now() });
    return { value: this.value };
  },
});

/** Like test_sleep, but GPU-bound: never runs beside another GPU node of its session. */
export const GpuSleepNode = defineInvocation({
  type: "test_gpu_sleep",
  version: "1.0.0",
  useCache: false,
  bottleneck: "gpu",
  inputs: { ms: int(10), value: int(0) },
  output: IntegerOutput,
  async invoke(context) {
    const started = Date.now();
    await sleep(this.ms, context.util.signal);
    spans.push({ id: this.id, started, ended: Date.now() });
    return { value: this.value };
  },
});

/** Start and end times of test_sleep runs (reset by the tests). */
export const spans: { id: string; started: number; ended: number }[] = [];

/** Polls `isCanceled()` for up to `ms`; returns what it saw. */
export const PollNode = defineInvocation({
  type: "test_poll",
  version: "1.0.0",
  useCache: false,
  inputs: { ms: int(5000) },
  output: IntegerOutput,
  async invoke(context) {
    count("test_poll");
    pollContexts.push(context);
    const until = Date.now() + this.ms;
    while (Date.now() < until) {
      if (context.util.isCanceled()) {
        pollObservations.push({ canceled: true, aborted: context.util.signal.aborted });
        throw new CanceledError();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    pollObservations.push({ canceled: false, aborted: context.util.signal.aborted });
    return { value: 1 };
  },
});

/** The contexts test_poll ran with (so that a test can read `util.isCanceled()` from outside). */
export const pollContexts: InvocationContext[] = [];

/** What test_poll saw when it stopped. */
export const pollObservations: { canceled: boolean; aborted: boolean }[] = [];

export const FailNode = defineInvocation({
  type: "test_fail",
  version: "1.0.0",
  inputs: { message: InputField(z.string(), { default: "boom" }), value: int(0) },
  output: IntegerOutput,
  invoke() {
    count("test_fail");
    throw new RangeError(this.message);
  },
});

/** Counts its runs; output = value (cacheable). */
export const CounterNode = defineInvocation({
  type: "test_counter",
  version: "1.0.0",
  inputs: { value: int(0) },
  output: IntegerOutput,
  invoke() {
    count("test_counter");
    return { value: this.value };
  },
});

/** A node with an input that only an edge may fill. */
export const NeedsEdgeNode = defineInvocation({
  type: "test_needs_edge",
  version: "1.0.0",
  inputs: { value: InputField(z.number().int(), { input: "connection" }) },
  output: IntegerOutput,
  invoke() {
    return { value: this.value };
  },
});

export const TensorOutput = defineOutput({
  type: "test_tensor_output",
  fields: { tensor: OutputField(TensorField) },
});

/** Saves a small tensor and outputs its name (counts its runs). */
export const MakeTensorNode = defineInvocation({
  type: "test_make_tensor",
  version: "1.0.0",
  inputs: { seed: int(0) },
  output: TensorOutput,
  async invoke(context) {
    count("test_make_tensor");
    const data = new Float32Array([this.seed, this.seed + 1, this.seed + 2, this.seed + 3]);
    const name = await context.tensors.save({ dtype: "float32", shape: [2, 2], data });
    return { tensor: { tensor_name: name } };
  },
});

/** Saves a small grey image (counts its runs). */
export const MakeImageNode = defineInvocation({
  type: "test_make_image",
  version: "1.0.0",
  inputs: { shade: int(128) },
  output: ImageOutput,
  async invoke(context) {
    count("test_make_image");
    const data = new Uint8Array(4 * 4 * 3).fill(this.shade);
    const dto = await context.images.save({ width: 4, height: 4, mode: "RGB", data });
    return { image: { image_name: dto.image_name }, width: dto.width, height: dto.height };
  },
});

/** Signals progress twice, then outputs 1. */
export const ProgressNode = defineInvocation({
  type: "test_progress",
  version: "1.0.0",
  useCache: false,
  inputs: {},
  output: IntegerOutput,
  invoke(context) {
    context.util.signalProgress("first", 0.5);
    context.util.signalProgress("second", 1);
    return { value: 1 };
  },
});

/** Appends `value` to the file `path` (a side effect that shows whether it ran), outputs `value`. */
export const MarkerNode = defineInvocation({
  type: "test_marker",
  version: "1.0.0",
  useCache: false,
  inputs: { path: InputField(z.string(), { default: "" }), value: int(0) },
  output: IntegerOutput,
  invoke() {
    appendFileSync(this.path, `${this.value}\n`);
    return { value: this.value };
  },
});

/** Every test node. */
export const TEST_NODES: readonly AnyInvocationDefinition[] = [
  GpuSleepNode,
  AddNode,
  IntegerNode,
  StringNode,
  RangeNode,
  SleepNode,
  PollNode,
  FailNode,
  CounterNode,
  NeedsEdgeNode,
  MakeTensorNode,
  MakeImageNode,
  ProgressNode,
  MarkerNode,
] as unknown as AnyInvocationDefinition[];

/** A registry with the core nodes and the test nodes. */
export function testRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  for (const def of TEST_NODES) registry.register(def);
  return registry;
}

/** Clears the counters and records of the test nodes. */
export function resetTestNodes(): void {
  for (const key of Object.keys(invocations)) delete invocations[key];
  spans.length = 0;
  pollObservations.length = 0;
  pollContexts.length = 0;
}

/** A graph JSON: nodes by id, edges as "a.value -> b.a". */
export function graph(
  nodes: Record<string, Record<string, unknown>>,
  edges: string[] = [],
  id = "g",
): {
  id: string;
  nodes: Record<string, { id: string; type: string; [k: string]: unknown }>;
  edges: { source: { node_id: string; field: string }; destination: { node_id: string; field: string } }[];
} {
  const out: Record<string, { id: string; type: string; [k: string]: unknown }> = {};
  for (const [nid, n] of Object.entries(nodes)) out[nid] = { id: nid, ...(n as { type: string }) };
  return {
    id,
    nodes: out,
    edges: edges.map((e) => {
      const [src, dst] = e.split("->").map((s) => s.trim());
      const [sn, sf] = src.split(".");
      const [dn, df] = dst.split(".");
      return { source: { node_id: sn, field: sf }, destination: { node_id: dn, field: df } };
    }),
  };
}

/** A chain of `n` adds: n0.value -> n1.a -> … each adding 1. */
export function addChain(n: number): ReturnType<typeof graph> {
  const nodes: Record<string, Record<string, unknown>> = {};
  const edges: string[] = [];
  for (let i = 0; i < n; i++) {
    nodes[`n${i}`] = { type: "add", a: 0, b: 1 };
    if (i > 0) edges.push(`n${i - 1}.value -> n${i}.a`);
  }
  return graph(nodes, edges, `chain-${n}`);
}

/** range(size) → iterate → add(+1) → collect. */
export function iterateGraph(size: number): ReturnType<typeof graph> {
  return graph(
    {
      r: { type: "range", start: 0, stop: size, step: 1 },
      it: { type: "iterate" },
      plus: { type: "add", b: 1 },
      col: { type: "collect" },
    },
    ["r.collection -> it.collection", "it.item -> plus.a", "plus.value -> col.item"],
    `iterate-${size}`,
  );
}
