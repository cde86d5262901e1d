// SDXL text-to-image end to end: the tiny SDXL ONNX pipeline installed through the model manager, then
// sdxl_model_loader → sdxl_compel_prompt ×2 → noise → denoise_latents → l2i through the real queue, compared with
// the diffusers reference run `sdxl_euler_10steps_cfg7.5`.
//
// Where InvokeAI differs from that diffusers run, and how this test bridges it:
// - Start latents: SDXL's Euler schedule uses "leading" spacing, so t0 = 901 is not the top of the training schedule:
//   add_noise(0, noise, 901) = noise · σ(901) = 8.3907 · noise, while diffusers starts from noise · init_noise_sigma
//   = noise · sqrt(σ_max² + 1) = 8.4501 · noise. The test shows they differ, then runs the img2img path with
//   latents = (init_noise_sigma − σ(901)) · noise (Euler's add_noise is x + σ·noise), which starts exactly where
//   diffusers starts, so every later number is comparable.
// - Empty prompts: InvokeAI's SDXL prompt node gives zeros for "" (zero_on_empty) where diffusers encodes "". The
//   negative prompt here is " ", which InvokeAI encodes and the tokenizer reduces to the same ids as "".
// - Step noise and CFG batching: Euler draws no step noise, and at guidance 7.5 diffusers batches [uncond, cond] too.
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTensor, toFloat32, type ModelIdentifierFieldValue, type RawImage, type Tensor } from "@atelier/core";
import { createScheduler, loadTokenizer } from "@atelier/engine";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  planarToInterleaved255,
  readReferenceCase,
  resultOf,
  runGraph,
  worstExcess,
  type DiffusionHarness,
  type ReferenceCase,
} from "../support/diffusion-fixtures.js";

interface SdxlCase {
  prompt: string;
  negative_prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  height: number;
  width: number;
  original_size: [number, number];
  crops_coords_top_left: [number, number];
  target_size: [number, number];
  scheduler: { invokeai_name: string; init_noise_sigma: number; sigmas: number[]; timesteps: number[] };
}

const CASE = "sdxl_euler_10steps_cfg7.5";
const SDXL_ONNX = path.join(DIFFUSION_FIXTURES, "tiny-sdxl/onnx");

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;
let ref: ReferenceCase<SdxlCase>;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-sdxl-");
  model = await harness.install("tiny-sdxl");
  ref = await readReferenceCase<SdxlCase>(CASE);
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function schedulerFor(spec: SdxlCase) {
  const { readFile } = await import("node:fs/promises");
  const config = JSON.parse(await readFile(path.join(SDXL_ONNX, "scheduler/scheduler_config.json"), "utf8")) as Record<
    string,
    never
  >;
  const scheduler = createScheduler(spec.scheduler.invokeai_name, config);
  scheduler.setTimesteps(spec.num_inference_steps);
  return scheduler;
}

function promptNode(id: string, prompt: string, spec: SdxlCase): Record<string, unknown> {
  const [origH, origW] = spec.original_size;
  const [cropTop, cropLeft] = spec.crops_coords_top_left;
  const [targetH, targetW] = spec.target_size;
  return {
    id,
    type: "sdxl_compel_prompt",
    prompt,
    style: "",
    original_height: origH,
    original_width: origW,
    crop_top: cropTop,
    crop_left: cropLeft,
    target_height: targetH,
    target_width: targetW,
  };
}

describe("SDXL text-to-image on the tiny ONNX pipeline", () => {
  it("installs as an SDXL main model", () => {
    expect(model).toMatchObject({ base: "sdxl", type: "main" });
  });

  it("tokenizes both prompts exactly; tokenizer_2 pads with `!` (id 0), and ' ' gives the ids of ''", async () => {
    const spec = ref.spec;
    const tokenizer = await loadTokenizer(path.join(SDXL_ONNX, "tokenizer"));
    const tokenizer2 = await loadTokenizer(path.join(SDXL_ONNX, "tokenizer_2"));
    expect(tokenizer.tokenize(spec.prompt).ids).toEqual(ref.ids("input_ids"));
    expect(tokenizer2.tokenize(spec.prompt).ids).toEqual(ref.ids("input_ids_2"));
    expect(tokenizer.tokenize(spec.negative_prompt).ids).toEqual(ref.ids("negative_input_ids"));
    expect(tokenizer2.tokenize(spec.negative_prompt).ids).toEqual(ref.ids("negative_input_ids_2"));
    expect(tokenizer2.tokenize(" ").ids).toEqual(ref.ids("negative_input_ids_2"));
    // The two tokenizers differ only in padding: 999 (<|endoftext|>) vs 0 (`!`).
    const ids2 = ref.ids("input_ids_2");
    expect(ids2.at(-1)).toBe(0);
    expect(ref.ids("input_ids").at(-1)).toBe(999);
  });

  it("InvokeAI's start latents differ from diffusers' here (leading spacing): add_noise(0, noise, 901) ≠ noise · 8.45", async () => {
    const spec = ref.spec;
    const scheduler = await schedulerFor(spec);
    expect(scheduler.initTimestep).toBe(901);
    expect(scheduler.initNoiseSigma).toBeCloseTo(spec.scheduler.init_noise_sigma, 4);
    const noise = ref.float("noise");
    const invoke = scheduler.addNoise(new Float32Array(noise.length), noise, scheduler.initTimestep!);
    // σ(901) = sigmas[0] = 8.3907, not sqrt(σ_max² + 1) = 8.4501.
    expect(invoke[0]! / noise[0]!).toBeCloseTo(spec.scheduler.sigmas[0]!, 4);
    expect(worstExcess(invoke, ref.float("start_latents"), 1e-3, 1e-4)).toBeGreaterThan(0);
  });

  it("runs loader → sdxl_compel_prompt ×2 → noise → denoise_latents → l2i through the queue and matches the reference", async () => {
    const spec = ref.spec;
    const { services, rt } = harness;
    const scheduler = await schedulerFor(spec);
    const noise = ref.float("noise");
    const sigma0 = scheduler.addNoise(new Float32Array([0]), new Float32Array([1]), scheduler.initTimestep!)[0]!;
    const init = noise.map((v) => (spec.scheduler.init_noise_sigma - sigma0) * v);
    const initName = await services.tensors.save(createTensor("float32", [1, 4, 8, 8], init));

    const graph = {
      id: "sdxl-t2i",
      nodes: {
        loader: { id: "loader", type: "sdxl_model_loader", model },
        pos: promptNode("pos", spec.prompt, spec),
        neg: promptNode("neg", " ", spec),
        noise: { id: "noise", type: "noise", seed: spec.seed, width: spec.width, height: spec.height },
        start: { id: "start", type: "latents", latents: { latents_name: initName, seed: spec.seed } },
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
        edge("loader", "clip2", "pos", "clip2"),
        edge("loader", "clip", "neg", "clip"),
        edge("loader", "clip2", "neg", "clip2"),
        edge("loader", "unet", "denoise", "unet"),
        edge("loader", "vae", "decode", "vae"),
        edge("pos", "conditioning", "denoise", "positive_conditioning"),
        edge("neg", "conditioning", "denoise", "negative_conditioning"),
        edge("noise", "noise", "denoise", "noise"),
        edge("start", "latents", "denoise", "latents"),
        edge("denoise", "latents", "decode", "latents"),
      ],
    };
    const item = await runGraph(rt, graph);
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");

    // The noise node draws the reference noise from the seed.
    const noiseOut = resultOf(item, "noise").noise as { latents_name: string };
    expect(
      worstExcess(toFloat32(await services.tensors.load(noiseOut.latents_name)).data, noise, 1e-5, 0),
    ).toBeLessThanOrEqual(0);

    // Conditioning: embeds = concat(TE1, TE2 penultimate layers), pooled = TE2 text_embeds, time ids from the fields.
    const conditioning = async (id: string) => {
      const out = resultOf(item, id).conditioning as { conditioning_name: string };
      const data = await services.conditioning.load(out.conditioning_name);
      const first = data.conditionings[0]!;
      expect(first.kind).toBe("sdxl");
      return first as { embeds: Tensor; pooled_embeds: Tensor; add_time_ids: Tensor };
    };
    const pos = await conditioning("pos");
    const neg = await conditioning("neg");
    expect(pos.embeds.shape).toEqual([1, 77, 64]);
    expect(worstExcess(toFloat32(pos.embeds).data, ref.float("prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(toFloat32(neg.embeds).data, ref.float("negative_prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(
      0,
    );
    expect(pos.pooled_embeds.shape).toEqual([1, 32]);
    expect(
      worstExcess(toFloat32(pos.pooled_embeds).data, ref.float("pooled_prompt_embeds"), 1e-5, 0),
    ).toBeLessThanOrEqual(0);
    expect(
      worstExcess(toFloat32(neg.pooled_embeds).data, ref.float("negative_pooled_prompt_embeds"), 1e-5, 0),
    ).toBeLessThanOrEqual(0);
    const timeIds = ref.float("add_time_ids");
    expect(Array.from(toFloat32(neg.add_time_ids).data)).toEqual(Array.from(timeIds.subarray(0, 6)));
    expect(Array.from(toFloat32(pos.add_time_ids).data)).toEqual(Array.from(timeIds.subarray(6, 12)));

    // Final latents (|x| grows large with random weights: the README's relative tolerance).
    const latentsOut = resultOf(item, "denoise").latents as { latents_name: string };
    const latents = toFloat32(await services.tensors.load(latentsOut.latents_name));
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    expect(worstExcess(latents.data, ref.float("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);

    // Decoded image, against the reference tensor and the reference PNG (within 2 levels).
    const imageOut = resultOf(item, "decode").image as { image_name: string };
    const image: RawImage = await services.images.getImage(imageOut.image_name, "RGB");
    expect([image.width, image.height]).toEqual([64, 64]);
    const expected = planarToInterleaved255(ref.float("image"), 64, 64);
    expect(worstExcess(image.data, expected, 0.5 + 1e-3, 0)).toBeLessThanOrEqual(0);
    const png = await sharp(path.join(ref.dir, "image.png")).removeAlpha().raw().toBuffer();
    expect(worstExcess(image.data, png, 2, 0)).toBeLessThanOrEqual(0);
  }, 120_000);

  it("inpaints through the queue with create_denoise_mask: the mask's white half keeps the original latents", async () => {
    const spec = ref.spec;
    const { services, rt } = harness;
    const original = ref.float("final_latents").map((v) => v / 10);
    const originalName = await services.tensors.save(createTensor("float32", [1, 4, 8, 8], original));
    // White (1, preserve) on the left half of a 64×64 greyscale mask image.
    const mask = await services.images.create({
      width: 64,
      height: 64,
      mode: "L",
      data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 255 : 0)),
    });
    const graph = {
      id: "sdxl-inpaint",
      nodes: {
        loader: { id: "loader", type: "sdxl_model_loader", model },
        pos: promptNode("pos", spec.prompt, spec),
        neg: promptNode("neg", "", spec),
        noise: { id: "noise", type: "noise", seed: spec.seed, width: spec.width, height: spec.height },
        start: { id: "start", type: "latents", latents: { latents_name: originalName, seed: spec.seed } },
        mask: { id: "mask", type: "create_denoise_mask", mask: { image_name: mask.image_name } },
        denoise: {
          id: "denoise",
          type: "denoise_latents",
          steps: 6,
          cfg_scale: 5,
          scheduler: "euler",
          denoising_start: 0.2,
        },
      },
      edges: [
        edge("loader", "clip", "pos", "clip"),
        edge("loader", "clip2", "pos", "clip2"),
        edge("loader", "clip", "neg", "clip"),
        edge("loader", "clip2", "neg", "clip2"),
        edge("loader", "unet", "denoise", "unet"),
        edge("loader", "vae", "mask", "vae"),
        edge("pos", "conditioning", "denoise", "positive_conditioning"),
        edge("neg", "conditioning", "denoise", "negative_conditioning"),
        edge("noise", "noise", "denoise", "noise"),
        edge("start", "latents", "denoise", "latents"),
        edge("mask", "denoise_mask", "denoise", "denoise_mask"),
      ],
    };
    const item = await runGraph(rt, graph);
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");
    const out = resultOf(item, "denoise").latents as { latents_name: string };
    const final = toFloat32(await services.tensors.load(out.latents_name)).data;
    const left = (data: Float32Array, want: boolean) => data.filter((_, i) => i % 8 < 4 === want);
    expect(worstExcess(left(final, true), left(original, true), 1e-6, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(left(final, false), left(original, false), 1e-3, 1e-3)).toBeGreaterThan(0);
  }, 120_000);
});
