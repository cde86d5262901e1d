// FLUX text-to-image and image-to-image on the tiny ONNX pipeline, installed through the real model manager into a
// temp root and run through the real queue: flux_model_loader → flux_text_encoder → flux_denoise → flux_vae_decode,
// compared number for number with the diffusers reference run `flux_4steps_guidance3.5` (InvokeAI's FLUX noise:
// half-precision randn of seed 42). The ONNX sessions the nodes use are the cached ones; the test wraps their
// `run` to record every transformer and VAE call.
import path from "node:path";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  NodeInputError,
  toFloat32,
  TorchCpuGenerator,
  torchRandn,
  type ModelIdentifierFieldValue,
  type Tensor,
} from "@atelier/core";
import { createContextModels, loadTokenizer, type ModelConfig } from "@atelier/engine";
import {
  clipFluxSchedule,
  fluxImageIds,
  FluxModelLoaderInvocation,
  fluxNoise,
  fluxSchedule,
  fluxScheduleShift,
  packLatents,
} from "../../src/index.js";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  readReferenceCase,
  resultOf,
  runGraph,
  worstExcess,
  type DiffusionHarness,
  type ReferenceCase,
} from "../support/diffusion-fixtures.js";
import { runNode } from "../support/run-node.js";
import { createTestContext } from "../support/test-context.js";

interface FluxCase {
  prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  height: number;
  width: number;
  image_seq_len: number;
  mu: number;
  scheduler: { sigmas: number[] };
}

type Feeds = Record<string, { dims: readonly number[]; data: ArrayLike<number | bigint> }>;
interface RecordedCall {
  inputs: Record<string, { dims: number[]; data: Float32Array }>;
  outputs: Record<string, { dims: number[]; data: Float32Array }>;
}

let h: DiffusionHarness;
let model: ModelIdentifierFieldValue;
let config: ModelConfig;
let ref: ReferenceCase<FluxCase>;
const calls: Record<string, RecordedCall[]> = { transformer: [], vae_decoder: [], vae_encoder: [] };
let onTransformerCall: (() => Promise<void>) | null = null;

function copyTensors(feeds: Feeds): Record<string, { dims: number[]; data: Float32Array }> {
  return Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, { dims: [...v.dims], data: Float32Array.from(v.data, Number) }]),
  );
}

/** Wraps the cached session of a submodel so that each call's inputs and outputs are recorded. */
async function recordCalls(submodel: "transformer" | "vae_decoder" | "vae_encoder"): Promise<void> {
  const loaded = await h.services.models.load.loadModel(config, submodel);
  const session = (loaded.model as { session: { run: (feeds: Feeds) => Promise<Feeds> } }).session;
  const run = session.run.bind(session);
  session.run = async (feeds: Feeds) => {
    if (submodel === "transformer" && onTransformerCall !== null) await onTransformerCall();
    const outputs = await run(feeds);
    calls[submodel]!.push({ inputs: copyTensors(feeds), outputs: copyTensors(outputs) });
    return outputs;
  };
}

beforeAll(async () => {
  h = await openDiffusionHarness("atelier-flux-");
  model = await h.install("tiny-flux");
  config = await h.services.models.records.get(model.key);
  ref = await readReferenceCase<FluxCase>("flux_4steps_guidance3.5");
  for (const part of ["transformer", "vae_decoder", "vae_encoder"] as const) await recordCalls(part);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

function resetCalls(): void {
  for (const list of Object.values(calls)) list.length = 0;
}

function textToImageGraph(): Record<string, unknown> {
  const spec = ref.spec;
  return {
    id: "flux-t2i",
    nodes: {
      loader: { id: "loader", type: "flux_model_loader", model },
      prompt: { id: "prompt", type: "flux_text_encoder", prompt: spec.prompt },
      denoise: {
        id: "denoise",
        type: "flux_denoise",
        width: spec.width,
        height: spec.height,
        num_steps: spec.num_inference_steps,
        guidance: spec.guidance_scale,
        seed: spec.seed,
      },
      decode: { id: "decode", type: "flux_vae_decode" },
    },
    edges: [
      edge("loader", "clip", "prompt", "clip"),
      edge("loader", "t5_encoder", "prompt", "t5_encoder"),
      edge("loader", "max_seq_len", "prompt", "t5_max_seq_len"),
      edge("loader", "transformer", "denoise", "transformer"),
      edge("loader", "vae", "decode", "vae"),
      edge("prompt", "conditioning", "denoise", "positive_text_conditioning"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

/** The text-to-image graph with the invocation cache off for the denoiser, so that it really runs again. */
function uncachedTextToImageGraph(): Record<string, unknown> {
  const graph = textToImageGraph();
  (graph.nodes as Record<string, Record<string, unknown>>).denoise!.use_cache = false;
  return graph;
}

/** Row `k` of a stacked reference tensor `[K, …]`. */
function row(name: string, k: number, count: number): Float32Array {
  const all = ref.float(name);
  const size = all.length / count;
  return all.subarray(k * size, (k + 1) * size);
}

describe("FLUX model identification", () => {
  it("identifies the ONNX export as a FLUX dev main model and loads every submodel through the cache", async () => {
    expect(config).toMatchObject({ type: "main", format: "onnx", base: "flux", variant: "dev" });
    const sessions: Record<string, string[]> = {
      transformer: ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids"],
      text_encoder: ["input_ids"],
      text_encoder_2: ["input_ids"],
      vae_decoder: ["latent_sample"],
      vae_encoder: ["sample"],
    };
    for (const [submodel, inputs] of Object.entries(sessions)) {
      const loaded = await h.services.models.load.loadModel(config, submodel as "transformer");
      const names = (loaded.model as { session: { inputNames: string[] } }).session.inputNames;
      expect(names, submodel).toEqual(expect.arrayContaining(inputs));
    }
    const scheduler = await h.services.models.load.loadModel(config, "scheduler");
    expect((scheduler.model as { config: Record<string, unknown> }).config).toMatchObject({
      _class_name: "FlowMatchEulerDiscreteScheduler",
      use_dynamic_shifting: true,
    });
    for (const submodel of ["tokenizer", "tokenizer_2"] as const) {
      const loaded = await h.services.models.load.loadModel(config, submodel);
      expect((loaded.model as { files: string[] }).files, submodel).toContain("tokenizer.json");
    }
  });

  it("tokenizes the prompt exactly as the reference: CLIP to 77 ids, T5 to 512", async () => {
    const folder = async (submodel: "tokenizer" | "tokenizer_2") =>
      ((await h.services.models.load.loadModel(config, submodel)).model as { path: string }).path;
    const clip = await loadTokenizer(await folder("tokenizer"));
    const t5 = await loadTokenizer(await folder("tokenizer_2"));
    expect(clip.tokenize(ref.spec.prompt).ids).toEqual(ref.ids("clip_input_ids"));
    expect(t5.tokenize(ref.spec.prompt, { maxLength: 512 }).ids).toEqual(ref.ids("t5_input_ids"));
  });
});

describe("flux_model_loader", () => {
  it("outputs the pipeline's own parts, and refuses unknown and non-FLUX models by field", async () => {
    const context = Object.assign(createTestContext(), { models: createContextModels(h.services.models) });
    const out = (await runNode(FluxModelLoaderInvocation, { model }, context)) as Record<
      string,
      Record<string, unknown>
    >;
    expect(out.transformer).toEqual({ transformer: { ...model, submodel_type: "transformer" }, loras: [] });
    expect(out.clip).toMatchObject({ tokenizer: { submodel_type: "tokenizer" }, skipped_layers: 0 });
    expect(out.t5_encoder).toMatchObject({ tokenizer: { submodel_type: "tokenizer_2" } });
    expect(out.vae).toEqual({ vae: { ...model, submodel_type: "vae" }, seamless_axes: [] });
    expect(out.max_seq_len).toBe(512);
    const missing = { ...model, key: "no-such-model" };
    await expect(runNode(FluxModelLoaderInvocation, { model: missing }, context)).rejects.toThrow(
      /flux_model_loader.*model.*no installed model/s,
    );
    const sd15 = await h.install("tiny-sd15");
    await expect(runNode(FluxModelLoaderInvocation, { model: sd15 }, context)).rejects.toThrow(NodeInputError);
    await expect(runNode(FluxModelLoaderInvocation, { model: sd15 }, context)).rejects.toThrow(/sd-1 main model/);
  }, 60_000);
});

describe("FLUX sampling maths", () => {
  it("makes InvokeAI's half-precision noise and packs it 2×2", async () => {
    const noise = fluxNoise(ref.spec.seed, ref.spec.width, ref.spec.height);
    expect(noise.shape).toEqual([1, 16, 8, 8]);
    expect(Array.from(noise.data)).toEqual(Array.from(ref.float("noise")));
    expect(Array.from(packLatents(noise.data, noise.shape))).toEqual(Array.from(ref.float("packed_noise")));
    // A larger shape from the shared noise fixtures (torch.randn(..., dtype=float16), seed 7).
    const file = path.join(DIFFUSION_FIXTURES, "../noise/seed7_1x16x64x64_float16.safetensors");
    const stored = decodeSafetensors(new Uint8Array(await readFile(file))).tensors.noise as Tensor;
    // torch's AVX2 Box–Muller and ours may round a float32 intermediate differently, which can move a value across
    // a float16 rounding boundary: allow one float16 step (2^-10 relative), as the noise fixtures' README does.
    const big = fluxNoise(7, 512, 512).data;
    const want = toFloat32(stored).data;
    let differing = 0;
    for (let i = 0; i < want.length; i++) {
      if (big[i] === want[i]) continue;
      differing++;
      expect(Math.abs(big[i]! - want[i]!)).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -10 + 2 ** -24);
    }
    expect(differing).toBeLessThan(want.length / 1000);
    // Drawing in float32 is a different stream: the half rounding is what makes these equal.
    expect(Array.from(torchRandn([1, 16, 8, 8], ref.spec.seed).data)).not.toEqual(Array.from(ref.float("noise")));
  });

  it("builds the shifted schedule, position ids and clipped img2img schedules", () => {
    expect(fluxScheduleShift(ref.spec.image_seq_len)).toBeCloseTo(ref.spec.mu, 12);
    const schedule = fluxSchedule(ref.spec.num_inference_steps, ref.spec.image_seq_len);
    // InvokeAI's float32 arithmetic (e^mu · reciprocal) vs diffusers' (e^mu / x): equal, or one float32 ulp apart.
    for (let i = 0; i < schedule.length; i++) {
      const want = ref.spec.scheduler.sigmas[i]!;
      expect(Math.abs(schedule[i]! - want), `sigma ${i}`).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23);
    }
    expect(fluxSchedule(4, 16, false)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(Array.from(fluxImageIds(8, 8))).toEqual(Array.from(ref.float("img_ids")));
    // denoising_start 0.5: the last entry ≥ 0.5 (0.6129) becomes exactly 0.5.
    const clipped = clipFluxSchedule(schedule, 0.5, 1);
    expect(clipped).toEqual([0.5, schedule[3], 0]);
    expect(clipFluxSchedule(schedule, 0, 1)).toEqual(schedule);
    // denoising_end 0.5: likewise the last entry ≥ 0.5 is replaced by 0.5.
    expect(clipFluxSchedule(schedule, 0, 0.5)).toEqual([schedule[0], schedule[1], 0.5]);
  });
});

describe("FLUX text-to-image through the queue", () => {
  it("matches the reference run at every step, and decodes the reference image", async () => {
    resetCalls();
    const progress: { step: number | null; percentage: number | null; preview: boolean }[] = [];
    const off = h.services.events.onAny((e) => {
      if (e.name !== "invocation_progress") return;
      const p = e.payload as {
        invocation_source_id: string;
        message: string;
        percentage: number | null;
        image: unknown;
      };
      if (p.invocation_source_id === "denoise" && p.message === "Denoising")
        progress.push({ step: null, percentage: p.percentage, preview: p.image !== null });
    });
    const item = await runGraph(h.rt, textToImageGraph());
    if (typeof off === "function") off();
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");

    // Loader: the pipeline's own parts, and dev's 512 T5 tokens.
    const loaderOut = resultOf(item, "loader") as { max_seq_len: number; t5_encoder: { text_encoder: unknown } };
    expect(loaderOut.max_seq_len).toBe(512);
    expect(loaderOut.t5_encoder.text_encoder).toMatchObject({ key: model.key, submodel_type: "text_encoder_2" });

    // Conditioning: pooled CLIP and T5 embeddings.
    const cond = resultOf(item, "prompt").conditioning as { conditioning_name: string };
    const stored = await h.services.conditioning.load(cond.conditioning_name);
    const flux = stored.conditionings[0] as { kind: string; clip_embeds: Tensor; t5_embeds: Tensor };
    expect(flux.kind).toBe("flux");
    expect(flux.clip_embeds.shape).toEqual([1, 32]);
    expect(flux.t5_embeds.shape).toEqual([1, 512, 32]);
    expect(
      worstExcess(toFloat32(flux.clip_embeds).data, ref.float("pooled_prompt_embeds"), 1e-5, 0),
    ).toBeLessThanOrEqual(0);
    expect(worstExcess(toFloat32(flux.t5_embeds).data, ref.float("prompt_embeds"), 1e-4, 0)).toBeLessThanOrEqual(0);

    // Every transformer call: its inputs, its output, and the latents after each step.
    const steps = ref.spec.num_inference_steps;
    const tr = calls.transformer!;
    expect(tr).toHaveLength(steps);
    for (let k = 0; k < steps; k++) {
      const { inputs, outputs } = tr[k]!;
      const at = `step ${k}`;
      expect(inputs.hidden_states!.dims, at).toEqual([1, 16, 64]);
      expect(
        worstExcess(inputs.hidden_states!.data, row("transformer_hidden_states", k, steps), 5e-6, 0),
        at,
      ).toBeLessThanOrEqual(0);
      expect(
        worstExcess(inputs.timestep!.data, row("transformer_timestep", k, steps), 1e-7, 0),
        at,
      ).toBeLessThanOrEqual(0);
      expect(Array.from(inputs.guidance!.data), at).toEqual(Array.from(row("transformer_guidance", k, steps)));
      expect(
        worstExcess(inputs.encoder_hidden_states!.data, ref.float("prompt_embeds"), 1e-4, 0),
        at,
      ).toBeLessThanOrEqual(0);
      expect(
        worstExcess(inputs.pooled_projections!.data, ref.float("pooled_prompt_embeds"), 1e-5, 0),
        at,
      ).toBeLessThanOrEqual(0);
      expect(Array.from(inputs.img_ids!.data), at).toEqual(Array.from(ref.float("img_ids")));
      expect(Array.from(inputs.txt_ids!.data), at).toEqual(Array.from(ref.float("txt_ids")));
      const out = Object.values(outputs)[0]!.data;
      // A single call with equal inputs is within 2.5e-6 (README); here the inputs carry the earlier steps' few-1e-6
      // differences, which the transformer amplifies somewhat.
      expect(worstExcess(out, row("transformer_out", k, steps), 5e-5, 0), at).toBeLessThanOrEqual(0);
      if (k + 1 < steps) {
        const next = tr[k + 1]!.inputs.hidden_states!.data;
        expect(worstExcess(next, row("step_latents", k, steps), 5e-6, 0), at).toBeLessThanOrEqual(0);
      }
    }
    expect(Array.from(tr[0]!.inputs.hidden_states!.data)).toEqual(Array.from(ref.float("packed_noise")));

    // Final latents, unpacked as flux_denoise stores them.
    const latentsOut = resultOf(item, "denoise") as { latents: { latents_name: string }; width: number };
    expect(latentsOut.width).toBe(64);
    const latents = toFloat32(await h.services.tensors.load(latentsOut.latents.latents_name));
    expect(latents.shape).toEqual([1, 16, 8, 8]);
    // InvokeAI computes the last sigma as reciprocal·e^mu in float32, diffusers as a float32 division: they differ
    // by one ulp (checked in "builds the shifted schedule"), which moves the last step by up to ~6e-6 here.
    expect(worstExcess(latents.data, ref.float("final_latents_unpacked"), 1e-5, 0)).toBeLessThanOrEqual(0);
    expect(
      worstExcess(packLatents(latents.data, latents.shape), ref.float("final_latents"), 1e-5, 0),
    ).toBeLessThanOrEqual(0);

    // Decoder input (/0.3611 + 0.1159) and output.
    const dec = calls.vae_decoder!;
    expect(dec).toHaveLength(1);
    expect(worstExcess(dec[0]!.inputs.latent_sample!.data, ref.float("decoder_input"), 2e-5, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(Object.values(dec[0]!.outputs)[0]!.data, ref.float("decoded"), 2e-5, 0)).toBeLessThanOrEqual(0);

    // The saved image: InvokeAI's FLUX decode truncates 127.5·(x + 1), so it sits within one level below the
    // reference image·255, and within 2 levels of the reference PNG (which rounds).
    const imageName = (resultOf(item, "decode").image as { image_name: string }).image_name;
    const image = await h.services.images.getImage(imageName, "RGB");
    expect([image.width, image.height]).toEqual([64, 64]);
    const planar = ref.float("image");
    const plane = 64 * 64;
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) {
        const want = planar[c * plane + i]! * 255;
        const got = image.data[i * 3 + c]!;
        expect(got).toBeLessThanOrEqual(want + 1e-3);
        worst = Math.max(worst, want - got);
      }
    }
    expect(worst).toBeLessThan(1 + 1e-3);
    const png = await sharp(path.join(ref.dir, "image.png")).removeAlpha().raw().toBuffer();
    expect(worstExcess(image.data, png, 2, 0)).toBeLessThanOrEqual(0);

    // Progress: before the loop and after each step, with previews; InvokeAI numbers the steps 0 … n.
    expect(progress).toHaveLength(steps + 1);
    expect(progress.every((p) => p.preview)).toBe(true);
    expect(progress.map((p) => p.percentage)).toEqual([0, 1, 2, 3, 4].map((s) => s / steps));
  }, 60_000);
});

describe("FLUX image-to-image through the queue", () => {
  it("encodes an image, noises it to t0 = 0.5 and denoises the clipped schedule consistently", async () => {
    resetCalls();
    // The source image: the reference PNG, uploaded as a user would.
    const png = await readFile(path.join(ref.dir, "image.png"));
    const raw = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const source = await h.services.images.create(
      { width: raw.info.width, height: raw.info.height, mode: "RGB", data: new Uint8Array(raw.data) },
      { origin: "external", category: "user", isIntermediate: false },
    );
    const spec = ref.spec;
    const graph = {
      id: "flux-i2i",
      nodes: {
        loader: { id: "loader", type: "flux_model_loader", model },
        prompt: { id: "prompt", type: "flux_text_encoder", prompt: spec.prompt },
        encode: { id: "encode", type: "flux_vae_encode", image: { image_name: source.image_name } },
        denoise: {
          id: "denoise",
          type: "flux_denoise",
          width: spec.width,
          height: spec.height,
          num_steps: spec.num_inference_steps,
          guidance: spec.guidance_scale,
          seed: spec.seed,
          denoising_start: 0.5,
        },
        decode: { id: "decode", type: "flux_vae_decode" },
      },
      edges: [
        edge("loader", "clip", "prompt", "clip"),
        edge("loader", "t5_encoder", "prompt", "t5_encoder"),
        edge("loader", "max_seq_len", "prompt", "t5_max_seq_len"),
        edge("loader", "transformer", "denoise", "transformer"),
        edge("loader", "vae", "encode", "vae"),
        edge("loader", "vae", "decode", "vae"),
        edge("prompt", "conditioning", "denoise", "positive_text_conditioning"),
        edge("encode", "latents", "denoise", "latents"),
        edge("denoise", "latents", "decode", "latents"),
      ],
    };
    const item = await runGraph(h.rt, graph);
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");

    // Encode: the encoder's input is the image in [−1, 1]; the latents are 0.3611·(mean + σ·ε − 0.1159), ε seeded 0.
    const enc = calls.vae_encoder!;
    expect(enc).toHaveLength(1);
    const pixels = enc[0]!.inputs.sample!;
    expect(pixels.dims).toEqual([1, 3, 64, 64]);
    expect(pixels.data[0]).toBeCloseTo((raw.data[0]! / 255) * 2 - 1, 6);
    const params = Object.values(enc[0]!.outputs)[0]!;
    expect(params.dims).toEqual([1, 32, 8, 8]);
    const eps = new TorchCpuGenerator(0).randn([1, 16, 8, 8]).data;
    const n = 16 * 64;
    const expected = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const z = params.data[i]! + Math.exp(0.5 * params.data[n + i]!) * eps[i]!;
      expected[i] = 0.3611 * (z - 0.1159);
    }
    const encoded = toFloat32(
      await h.services.tensors.load((resultOf(item, "encode").latents as { latents_name: string }).latents_name),
    );
    expect(encoded.shape).toEqual([1, 16, 8, 8]);
    expect(worstExcess(encoded.data, expected, 1e-5, 1e-6)).toBeLessThanOrEqual(0);

    // Denoise: the schedule clipped to [0.5, 0.345…, 0] → 2 transformer calls; the start is 0.5·noise + 0.5·x0.
    const schedule = clipFluxSchedule(fluxSchedule(spec.num_inference_steps, spec.image_seq_len), 0.5, 1);
    const tr = calls.transformer!;
    expect(tr).toHaveLength(schedule.length - 1);
    expect(tr.map((c) => c.inputs.timestep!.data[0])).toEqual(schedule.slice(0, -1).map(Math.fround));
    const noise = ref.float("noise");
    const start = encoded.data.map((x0, i) => 0.5 * noise[i]! + 0.5 * x0);
    expect(
      worstExcess(tr[0]!.inputs.hidden_states!.data, packLatents(start, [1, 16, 8, 8]), 1e-6, 0),
    ).toBeLessThanOrEqual(0);
    // Each Euler step: x_{k+1} = x_k + (t_{k+1} − t_k)·v_k.
    const final = toFloat32(
      await h.services.tensors.load((resultOf(item, "denoise").latents as { latents_name: string }).latents_name),
    );
    const states = [...tr.map((c) => c.inputs.hidden_states!.data), packLatents(final.data, final.shape)];
    for (let k = 0; k < tr.length; k++) {
      const v = Object.values(tr[k]!.outputs)[0]!.data;
      const dt = schedule[k + 1]! - schedule[k]!;
      const stepped = states[k]!.map((x, i) => x + dt * v[i]!);
      expect(worstExcess(states[k + 1]!, stepped, 1e-6, 1e-6), `step ${k}`).toBeLessThanOrEqual(0);
    }
    // The image-to-image result is a 64×64 image decoded from those latents.
    const imageOut = resultOf(item, "decode") as { width: number; height: number };
    expect([imageOut.width, imageOut.height]).toEqual([64, 64]);
    expect(
      worstExcess(
        calls.vae_decoder![0]!.inputs.latent_sample!.data,
        final.data.map((v) => v / 0.3611 + 0.1159),
        1e-5,
        0,
      ),
    ).toBeLessThanOrEqual(0);
  }, 60_000);
});

describe("FLUX denoise errors and cancellation", () => {
  it("refuses denoising_start without latents, naming the node and field", async () => {
    const graph = uncachedTextToImageGraph();
    (graph.nodes as Record<string, Record<string, unknown>>).denoise!.denoising_start = 0.5;
    const item = await runGraph(h.rt, graph);
    expect(item.status).toBe("failed");
    expect(item.error_message).toMatch(/flux_denoise.*denoise.*denoising_start.*latents/s);
  }, 60_000);

  it("stops within a step when the queue item is canceled", async () => {
    resetCalls();
    let itemId = -1;
    onTransformerCall = async () => {
      if (calls.transformer!.length === 1) await h.rt.queue.cancelItem("default", itemId);
    };
    try {
      const {
        item_ids: [id],
      } = await h.rt.queue.enqueueBatch("default", { graph: uncachedTextToImageGraph(), runs: 1 });
      itemId = id!;
      const until = Date.now() + 60_000;
      let status = "";
      while (Date.now() < until) {
        status = (await h.rt.queue.getItem("default", itemId)).status;
        if (["completed", "failed", "canceled"].includes(status)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe("canceled");
      // The second call saw the cancel before running; no further step ran.
      await new Promise((r) => setTimeout(r, 200));
      expect(calls.transformer!.length).toBeLessThanOrEqual(2);
      expect(calls.vae_decoder).toHaveLength(0);
    } finally {
      onTransformerCall = null;
    }
  }, 60_000);
});
