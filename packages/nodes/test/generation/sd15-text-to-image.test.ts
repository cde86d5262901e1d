// SD1.5 text-to-image end to end: the tiny ONNX pipeline installed through the model manager into a temp root, then
// main_model_loader → compel (pos, neg) → noise → denoise_latents → l2i run through the real queue, compared with
// the diffusers reference run `sd15_euler_4steps_cfg7.5`.
//
// InvokeAI differs from that diffusers run in three ways; for this case none changes the numbers:
// - start latents: InvokeAI starts from scheduler.add_noise(zeros, noise, t0). For Euler with linspace spacing,
//   t0 = 999 is the first schedule entry, so add_noise gives noise · sigmas[0] = noise · 14.6146, and diffusers'
//   init_noise_sigma is sigma_max = sigmas[0] too (no sqrt(σ²+1): that is only for leading/trailing spacing). The
//   test checks this rather than assuming it.
// - step noise seeded with seed ^ 0xFFFFFFFF: Euler (not ancestral) draws no step noise.
// - CFG always batched: at guidance 7.5 diffusers batches [uncond, cond] as well.
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  NodeRegistry,
  registerCoreNodes,
  toFloat32,
  type RawImage,
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

const FIXTURES = path.join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");
const CASE = path.join(FIXTURES, "cases/sd15_euler_4steps_cfg7.5");

interface CaseJson {
  prompt: string;
  negative_prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  height: number;
  width: number;
  scheduler: { invokeai_name: string; init_noise_sigma: number; sigmas: number[] };
}

let root: string;
let services: Services;
let rt: QueueRuntime;
let ref: Record<string, Tensor>;
let spec: CaseJson;
let modelKey: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "atelier-sd15-"));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  for (const def of BUILTIN_NODES) registry.register(def);
  provideDiffusionToolkit({ loadTokenizer, createScheduler });
  services = await createServices({
    env: {},
    loadNodePacks: false,
    registry,
    root,
    overrides: { log_level: "error" },
    logDestination: { write: () => undefined },
  });
  // installPath moves what it installs: give it a copy of the shared fixture.
  const source = path.join(root, "incoming/tiny-sd15-onnx");
  await cp(path.join(FIXTURES, "tiny-sd15/onnx"), source, { recursive: true });
  const config = await services.models.install.installPath(source, { name: "tiny-sd15-onnx" });
  expect(config).toMatchObject({ type: "main", format: "onnx", base: "sd-1" });
  modelKey = config.key;
  rt = await createQueueRuntime(services, { pollIntervalMs: 20 });
  spec = JSON.parse(await readFile(path.join(CASE, "case.json"), "utf8")) as CaseJson;
  ref = decodeSafetensors(new Uint8Array(await readFile(path.join(CASE, "tensors.safetensors")))).tensors;
}, 60_000);

afterAll(async () => {
  await rt?.close({ graceMs: 2000 });
  await services?.close();
  provideDiffusionToolkit(null);
  if (root) await rm(root, { recursive: true, force: true });
});

function float(name: string): Float32Array {
  const t = ref[name];
  if (t === undefined) throw new Error(`the case has no tensor ${name}`);
  return toFloat32(t).data;
}

/** Largest |a − b| − (abs + rel·|b|) over all elements: ≤ 0 means within tolerance. */
function worstExcess(a: ArrayLike<number>, b: ArrayLike<number>, abs: number, rel: number): number {
  expect(a.length).toBe(b.length);
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (abs + rel * Math.abs(b[i]!));
    if (excess > worst) worst = excess;
  }
  return worst;
}

async function waitForItem(itemId: number): Promise<{
  status: string;
  error_message?: string | null;
  session: { results: Record<string, Record<string, unknown>> };
}> {
  const until = Date.now() + 60_000;
  for (;;) {
    const item = await rt.queue.getItem("default", itemId);
    if (["completed", "failed", "canceled"].includes(item.status)) return item as never;
    if (Date.now() > until) throw new Error(`item ${itemId} is still ${item.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function text2imageGraph(): Record<string, unknown> {
  const config = { key: modelKey, hash: "", name: "tiny-sd15-onnx", base: "sd-1", type: "main", submodel_type: null };
  const edge = (from: string, out: string, to: string, input: string) => ({
    source: { node_id: from, field: out },
    destination: { node_id: to, field: input },
  });
  return {
    id: "sd15-t2i",
    nodes: {
      loader: { id: "loader", type: "main_model_loader", model: config },
      pos: { id: "pos", type: "compel", prompt: spec.prompt },
      neg: { id: "neg", type: "compel", prompt: spec.negative_prompt },
      noise: { id: "noise", type: "noise", seed: spec.seed, width: spec.width, height: spec.height },
      denoise: {
        id: "denoise",
        type: "denoise_latents",
        steps: spec.num_inference_steps,
        cfg_scale: spec.guidance_scale,
        scheduler: spec.scheduler.invokeai_name,
      },
      decode: { id: "decode", type: "l2i" },
    },
    edges: [
      edge("loader", "clip", "pos", "clip"),
      edge("loader", "clip", "neg", "clip"),
      edge("loader", "unet", "denoise", "unet"),
      edge("loader", "vae", "decode", "vae"),
      edge("pos", "conditioning", "denoise", "positive_conditioning"),
      edge("neg", "conditioning", "denoise", "negative_conditioning"),
      edge("noise", "noise", "denoise", "noise"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

describe("SD1.5 text-to-image on the tiny ONNX pipeline", () => {
  it("tokenizes the prompts exactly as the reference", async () => {
    const model = await services.models.records.get(modelKey);
    const folder = path.join(services.config.paths.models, model.path, "tokenizer");
    const tokenizer = await loadTokenizer(path.isAbsolute(model.path) ? path.join(model.path, "tokenizer") : folder);
    const ids = (name: string) => Array.from(ref[name]!.data as BigInt64Array, Number);
    expect(tokenizer.tokenize(spec.prompt).ids).toEqual(ids("input_ids"));
    expect(tokenizer.tokenize(spec.negative_prompt).ids).toEqual(ids("negative_input_ids"));
  });

  it("InvokeAI's start latents equal diffusers' here: add_noise(0, noise, 999) = noise · init_noise_sigma", async () => {
    const file = path.join(FIXTURES, "tiny-sd15/onnx/scheduler/scheduler_config.json");
    const scheduler = createScheduler(
      spec.scheduler.invokeai_name,
      JSON.parse(await readFile(file, "utf8")) as Record<string, never>,
    );
    scheduler.setTimesteps(spec.num_inference_steps);
    const noise = float("noise");
    const invoke = scheduler.addNoise(new Float32Array(noise.length), noise, scheduler.initTimestep!);
    expect(spec.scheduler.init_noise_sigma).toBeCloseTo(spec.scheduler.sigmas[0]!, 5);
    expect(worstExcess(invoke, float("start_latents"), 1e-5, 1e-6)).toBeLessThanOrEqual(0);
  });

  it("runs loader → compel ×2 → noise → denoise_latents → l2i through the queue and matches the reference", async () => {
    const progress: { source: string; message: string; percentage: number | null; preview: boolean }[] = [];
    services.events.onAny((e) => {
      if (e.name !== "invocation_progress") return;
      const p = e.payload as {
        invocation_source_id: string;
        message: string;
        percentage: number | null;
        image: unknown;
      };
      progress.push({
        source: p.invocation_source_id,
        message: p.message,
        percentage: p.percentage,
        preview: p.image !== null,
      });
    });
    const {
      item_ids: [itemId],
    } = await rt.queue.enqueueBatch("default", { graph: text2imageGraph(), runs: 1 });
    const item = await waitForItem(itemId!);
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");
    const results = item.session.results;
    const byType = (type: string) => Object.values(results).filter((r) => r.type === type);

    // Progress with a preview before the loop and after each of the 4 steps.
    const denoising = progress.filter((p) => p.source === "denoise" && p.message === "Denoising");
    expect(denoising).toHaveLength(spec.num_inference_steps + 1);
    expect(denoising.every((p) => p.preview)).toBe(true);
    // InvokeAI numbers the steps -1 (before the loop), 0 … n−1, so the last report is (n−1)/n.
    const percentages = denoising.map((p) => p.percentage!);
    expect(percentages.slice(1)).toEqual([0, 1, 2, 3].map((i) => i / spec.num_inference_steps));

    // Conditioning: the stored embeddings are the text encoder's output for the exact ids.
    const [posOut, negOut] = ["pos", "neg"].map(
      (id) => Object.entries(results).find(([k]) => k.startsWith(id))![1].conditioning as { conditioning_name: string },
    );
    const pos = await services.conditioning.load(posOut!.conditioning_name);
    const neg = await services.conditioning.load(negOut!.conditioning_name);
    expect(pos.conditionings[0]!.kind).toBe("basic");
    const posEmbeds = (pos.conditionings[0] as { embeds: Tensor }).embeds;
    expect(posEmbeds.shape).toEqual([1, 77, 32]);
    expect(worstExcess(toFloat32(posEmbeds).data, float("prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(0);
    const negEmbeds = (neg.conditionings[0] as { embeds: Tensor }).embeds;
    expect(worstExcess(toFloat32(negEmbeds).data, float("negative_prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(0);

    // Final latents (they grow to |x| ~ 100 with random weights: the README's relative tolerance).
    const [latentsOut] = byType("latents_output");
    const latents = await services.tensors.load((latentsOut!.latents as { latents_name: string }).latents_name);
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    expect(worstExcess(toFloat32(latents).data, float("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);

    // Decoded image, against the reference tensor and the reference PNG (within 2 levels).
    const [imageOut] = byType("image_output");
    const image: RawImage = await services.images.getImage(
      (imageOut!.image as { image_name: string }).image_name,
      "RGB",
    );
    expect([image.width, image.height]).toEqual([64, 64]);
    const refImage = float("image");
    const plane = 64 * 64;
    const expected = new Float32Array(plane * 3);
    for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) expected[i * 3 + c] = refImage[c * plane + i]! * 255;
    expect(worstExcess(image.data, expected, 0.5 + 1e-3, 0)).toBeLessThanOrEqual(0);
    const png = await sharp(path.join(CASE, "image.png")).removeAlpha().raw().toBuffer();
    expect(worstExcess(image.data, png, 2, 0)).toBeLessThanOrEqual(0);
  }, 60_000);
});
