// The SD1.5 reference cases (Euler, DDIM, DPM++ 2M Karras) through compel → denoise_latents → l2i, run directly on
// the real model manager, every step's latents compared with the diffusers run.
//
// InvokeAI starts from scheduler.add_noise(latents ?? zeros, noise, t0) where diffusers starts from
// noise · init_noise_sigma. For Euler/linspace those coincide (checked in sd15-text-to-image.test.ts); for DDIM and
// DPM++ they do not (add_noise(0, noise, t0) = sqrt(1 − ᾱ_t0) · noise ≈ 0.998 · noise vs noise · 1). So that the rest
// of the loop can be checked number for number, these runs go through the img2img path with latents chosen so that
// add_noise(latents, noise, t0) = c_x · latents + c_n · noise equals the reference start: latents =
// (init_noise_sigma − c_n) / c_x · noise, with c_x, c_n read from the engine's scheduler.
//
// The references tokenize prompts as plain text; compel parses Compel's syntax (as InvokeAI does), where "(cute!)" is
// a group whose parentheses vanish. Escaped parentheses are literal text, so prompts go in escaped.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTensor,
  decodeSafetensors,
  NodeRegistry,
  registerCoreNodes,
  toFloat32,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type PipelineIntermediateState,
  type Tensor,
} from "@atelier/core";
import { createContextModels, createScheduler, createServices, loadTokenizer, type Services } from "@atelier/engine";
import {
  CompelInvocation,
  DenoiseLatentsInvocation,
  LatentsToImageInvocation,
  MainModelLoaderInvocation,
  provideDiffusionToolkit,
} from "../../src/index.js";
import { runNode } from "../support/run-node.js";
import { createTestContext, type TestContext } from "../support/test-context.js";

const FIXTURES = path.join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

interface CaseJson {
  prompt: string;
  negative_prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  scheduler: { invokeai_name: string; init_noise_sigma: number };
}

let root: string;
let services: Services;
let model: ModelIdentifierFieldValue;
let schedulerConfig: Record<string, never>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "atelier-sdref-"));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  services = await createServices({
    env: {},
    loadNodePacks: false,
    registry,
    root,
    overrides: { log_level: "error", hashing_algorithm: "random" },
    logDestination: { write: () => undefined },
  });
  const c = await services.models.install.registerPath(path.join(FIXTURES, "tiny-sd15/onnx"), { name: "sd" });
  model = {
    key: c.key,
    hash: c.hash,
    name: c.name,
    base: c.base,
    type: c.type,
    submodel_type: null,
  } as ModelIdentifierFieldValue;
  schedulerConfig = JSON.parse(
    await readFile(path.join(FIXTURES, "tiny-sd15/onnx/scheduler/scheduler_config.json"), "utf8"),
  ) as Record<string, never>;
  provideDiffusionToolkit({ loadTokenizer, createScheduler });
}, 60_000);

afterAll(async () => {
  provideDiffusionToolkit(null);
  await services?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function worstExcess(a: ArrayLike<number>, b: ArrayLike<number>, abs: number, rel: number): number {
  expect(a.length).toBe(b.length);
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) - (abs + rel * Math.abs(b[i]!)));
  return worst;
}

describe.each(["sd15_euler_4steps_cfg7.5", "sd15_ddim_10steps_cfg7.5", "sd15_dpmpp_2m_k_10steps_cfg7.5"])(
  "reference case %s",
  (name) => {
    it("matches every step's latents, the final latents and the image", async () => {
      const dir = path.join(FIXTURES, "cases", name);
      const spec = JSON.parse(await readFile(path.join(dir, "case.json"), "utf8")) as CaseJson;
      const ref = decodeSafetensors(new Uint8Array(await readFile(path.join(dir, "tensors.safetensors")))).tensors;
      const f = (n: string) => toFloat32(ref[n]!).data;

      const steps: Float32Array[] = [];
      const base: TestContext = createTestContext();
      const context: InvocationContext = Object.assign(base, {
        models: createContextModels(services.models),
        util: {
          ...base.util,
          sdStepCallback: (state: PipelineIntermediateState) => {
            if (state.step >= 0) steps.push(Float32Array.from(state.latents.data as Float32Array));
          },
        },
      });

      const loaded = (await runNode(MainModelLoaderInvocation, { model }, context)) as Record<string, unknown>;
      const asText = (p: string) => p.replace(/[()]/g, (c) => `\\${c}`);
      const pos = await runNode(CompelInvocation, { prompt: asText(spec.prompt), clip: loaded.clip }, context);
      const neg = await runNode(CompelInvocation, { prompt: spec.negative_prompt, clip: loaded.clip }, context);

      // Latents that make InvokeAI's start equal the reference start (see the header).
      const noise = f("noise");
      const probe = createScheduler(spec.scheduler.invokeai_name, schedulerConfig);
      probe.setTimesteps(spec.num_inference_steps);
      const t0 = probe.initTimestep!;
      const cx = probe.addNoise(new Float32Array([1]), new Float32Array([0]), t0)[0]!;
      const cn = probe.addNoise(new Float32Array([0]), new Float32Array([1]), t0)[0]!;
      const init = noise.map((v) => ((spec.scheduler.init_noise_sigma - cn) / cx) * v);
      const noiseName = await context.tensors.save(createTensor("float32", [1, 4, 8, 8], noise));
      const initName = await context.tensors.save(createTensor("float32", [1, 4, 8, 8], init));

      const out = await runNode(
        DenoiseLatentsInvocation,
        {
          unet: loaded.unet,
          positive_conditioning: pos.conditioning,
          negative_conditioning: neg.conditioning,
          noise: { latents_name: noiseName, seed: spec.seed },
          latents: { latents_name: initName, seed: spec.seed },
          steps: spec.num_inference_steps,
          cfg_scale: spec.guidance_scale,
          scheduler: spec.scheduler.invokeai_name,
        },
        context,
      );
      const refSteps = f("step_latents");
      expect(steps).toHaveLength(ref.step_latents!.shape[0]!);
      steps.forEach((s, i) => {
        expect(worstExcess(s, refSteps.subarray(i * 256, (i + 1) * 256), 1e-3, 1e-4), `step ${i}`).toBeLessThanOrEqual(
          0,
        );
      });
      const latents: Tensor = await context.tensors.load((out.latents as { latents_name: string }).latents_name);
      expect(worstExcess(toFloat32(latents).data, f("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);

      const image = await runNode(LatentsToImageInvocation, { latents: out.latents, vae: loaded.vae }, context);
      const stored = base.store.images.get((image.image as { image_name: string }).image_name)!.image;
      const refImage = f("image");
      const expected = new Float32Array(64 * 64 * 3);
      for (let c = 0; c < 3; c++) for (let i = 0; i < 4096; i++) expected[i * 3 + c] = refImage[c * 4096 + i]! * 255;
      expect(worstExcess(stored.data, expected, 0.5 + 1e-3, 0)).toBeLessThanOrEqual(0);
    }, 60_000);
  },
);
