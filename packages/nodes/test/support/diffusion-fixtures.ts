// The tiny diffusion pipelines of ../shared/fixtures/diffusion installed through the real model manager into a
// temp root, a queue runtime over them, and readers for the reference cases. Generation tests share this setup.
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import {
  decodeSafetensors,
  NodeRegistry,
  registerCoreNodes,
  toFloat32,
  type ModelIdentifierFieldValue,
  type Tensor,
} from "@atelier/core";
import {
  createQueueRuntime,
  createScheduler,
  createServices,
  loadTokenizer,
  type QueueRuntime,
  type Services,
} from "@atelier/engine";
import { BUILTIN_NODES, provideDiffusionToolkit } from "../../src/index.js";

export const DIFFUSION_FIXTURES = path.join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

/** The pipelines in the fixtures, by folder name. */
export type FixturePipeline = "tiny-sd15" | "tiny-sdxl" | "tiny-flux";

/** Services on a temp root with the builtin nodes, the diffusion toolkit provided, and a queue runtime. */
export interface DiffusionHarness {
  readonly root: string;
  readonly services: Services;
  readonly rt: QueueRuntime;
  /** Installs a fixture pipeline (a copy of its `onnx/` folder unless `format` says otherwise); its identifier. */
  install(pipeline: FixturePipeline, format?: "onnx" | "diffusers"): Promise<ModelIdentifierFieldValue>;
  /** Installs any path under the fixtures folder (copied first, since installPath moves what it installs). */
  installFixturePath(relative: string, name: string): Promise<ModelIdentifierFieldValue>;
  close(): Promise<void>;
}

/** Opens a harness; call `close()` in afterAll. */
export async function openDiffusionHarness(prefix = "atelier-diffusion-"): Promise<DiffusionHarness> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  for (const def of BUILTIN_NODES) registry.register(def);
  provideDiffusionToolkit({ loadTokenizer, createScheduler });
  const services = await createServices({
    env: {},
    loadNodePacks: false,
    registry,
    root,
    overrides: { log_level: "error" },
    logDestination: { write: () => undefined },
  });
  const rt = await createQueueRuntime(services, { pollIntervalMs: 20 });
  let copies = 0;
  const installFixturePath = async (relative: string, name: string): Promise<ModelIdentifierFieldValue> => {
    const source = path.join(root, "incoming", `${copies++}-${path.basename(relative)}`);
    await cp(path.join(DIFFUSION_FIXTURES, relative), source, { recursive: true });
    const config = await services.models.install.installPath(source, { name });
    return {
      key: config.key,
      hash: config.hash,
      name: config.name,
      base: config.base,
      type: config.type,
      submodel_type: null,
    };
  };
  return {
    root,
    services,
    rt,
    install: (pipeline, format = "onnx") => installFixturePath(`${pipeline}/${format}`, `${pipeline}-${format}`),
    installFixturePath,
    async close() {
      await rt.close({ graceMs: 2000 });
      await services.close();
      provideDiffusionToolkit(null);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A reference case: its case.json and its tensors. */
export interface ReferenceCase<Spec> {
  readonly dir: string;
  readonly spec: Spec;
  readonly tensors: Record<string, Tensor>;
  /** A tensor of the case as float32 data; throws when the case has none by that name. */
  float(name: string): Float32Array;
  /** An integer tensor of the case (token ids) as numbers. */
  ids(name: string): number[];
}

/** Reads `cases/<name>` of the fixtures. */
export async function readReferenceCase<Spec = Record<string, unknown>>(name: string): Promise<ReferenceCase<Spec>> {
  const dir = path.join(DIFFUSION_FIXTURES, "cases", name);
  const spec = JSON.parse(await readFile(path.join(dir, "case.json"), "utf8")) as Spec;
  const tensors = decodeSafetensors(new Uint8Array(await readFile(path.join(dir, "tensors.safetensors")))).tensors;
  const get = (tensor: string): Tensor => {
    const t = tensors[tensor];
    if (t === undefined) throw new Error(`case ${name} has no tensor ${tensor}`);
    return t;
  };
  return {
    dir,
    spec,
    tensors,
    float: (tensor) => toFloat32(get(tensor)).data,
    ids: (tensor) => Array.from(get(tensor).data as ArrayLike<number | bigint>, Number),
  };
}

/** Largest |a − b| − (abs + rel·|b|) over all elements: ≤ 0 means within tolerance. */
export function worstExcess(a: ArrayLike<number>, b: ArrayLike<number>, abs: number, rel: number): number {
  expect(a.length).toBe(b.length);
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (abs + rel * Math.abs(b[i]!));
    if (excess > worst) worst = excess;
  }
  return worst;
}

/** A queue item once it has finished (completed, failed or canceled). */
export interface FinishedItem {
  readonly status: string;
  readonly error_message?: string | null;
  readonly error_traceback?: string | null;
  readonly session: {
    readonly results: Record<string, Record<string, unknown>>;
    readonly source_prepared_mapping: Record<string, string[]>;
  };
}

/** Waits for a queue item to finish (60 s at most). */
export async function waitForItem(rt: QueueRuntime, itemId: number, timeoutMs = 60_000): Promise<FinishedItem> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const item = await rt.queue.getItem("default", itemId);
    if (["completed", "failed", "canceled"].includes(item.status)) return item as unknown as FinishedItem;
    if (Date.now() > until) throw new Error(`item ${itemId} is still ${item.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Enqueues one run of a graph and waits for it to finish. */
export async function runGraph(rt: QueueRuntime, graph: Record<string, unknown>): Promise<FinishedItem> {
  const {
    item_ids: [itemId],
  } = await rt.queue.enqueueBatch("default", { graph, runs: 1 });
  return waitForItem(rt, itemId!);
}

/** A graph edge `from.out → to.input`. */
export function edge(from: string, out: string, to: string, input: string): Record<string, unknown> {
  return { source: { node_id: from, field: out }, destination: { node_id: to, field: input } };
}

/** The output of the (first) prepared copy of graph node `sourceId` in a finished item. */
export function resultOf(item: FinishedItem, sourceId: string): Record<string, unknown> {
  const prepared = item.session.source_prepared_mapping[sourceId]?.[0];
  const found = prepared === undefined ? undefined : item.session.results[prepared];
  if (found === undefined) throw new Error(`no result for node ${sourceId}`);
  return found;
}

/** A planar [1, 3, H, W] image tensor in 0..1 as interleaved RGB 0..255 values (how RawImage holds it). */
export function planarToInterleaved255(planar: Float32Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) out[i * 3 + c] = planar[c * plane + i]! * 255;
  return out;
}
