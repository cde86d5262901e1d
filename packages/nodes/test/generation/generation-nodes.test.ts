// The generation nodes run directly on a real model manager (temp root, the tiny SD1.5 pipelines registered in
// place): cancellation within one step, typed errors for what they cannot run, and the ONNX feed conversions.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CanceledError,
  float16ArrayToFloat32,
  NodeInputError,
  NodeRegistry,
  registerCoreNodes,
  type InvocationContext,
  type ModelIdentifierFieldValue,
} from "@atelier/core";
import { createContextModels, createScheduler, createServices, loadTokenizer, type Services } from "@atelier/engine";
import {
  asOnnxPart,
  CompelInvocation,
  DenoiseLatentsInvocation,
  DiffusionToolkitMissingError,
  encodePromptRows,
  floatFeed,
  GenerationModelError,
  intFeed,
  MainModelLoaderInvocation,
  provideDiffusionToolkit,
  scalarFeed,
  stepNoiseSeed,
} from "../../src/index.js";
import { NoiseInvocation } from "../../src/latents/latent-nodes.js";
import { runNode } from "../support/run-node.js";
import { createTestContext } from "../support/test-context.js";

const FIXTURES = path.join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

let root: string;
let services: Services;
let onnxModel: ModelIdentifierFieldValue;
let diffusersModel: ModelIdentifierFieldValue;

const identifier = (c: { key: string; hash: string; name: string; base: string; type: string }) =>
  ({
    key: c.key,
    hash: c.hash,
    name: c.name,
    base: c.base,
    type: c.type,
    submodel_type: null,
  }) as ModelIdentifierFieldValue;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "atelier-gen-"));
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
  onnxModel = identifier(
    await services.models.install.registerPath(path.join(FIXTURES, "tiny-sd15/onnx"), { name: "sd-onnx" }),
  );
  diffusersModel = identifier(
    await services.models.install.registerPath(path.join(FIXTURES, "tiny-sd15/diffusers"), { name: "sd-diffusers" }),
  );
  provideDiffusionToolkit({ loadTokenizer, createScheduler });
}, 60_000);

afterAll(async () => {
  provideDiffusionToolkit(null);
  await services?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A context whose models are the real model manager; `cancelAfterSteps` cancels after that many denoising steps. */
function modelContext(cancelAfterSteps = Infinity): InvocationContext & { steps: number[] } {
  const base = createTestContext();
  const steps: number[] = [];
  let canceled = false;
  return Object.assign(base, {
    steps,
    models: createContextModels(services.models),
    util: {
      ...base.util,
      isCanceled: () => canceled,
      sdStepCallback: (state: { step: number }) => {
        if (canceled) throw new CanceledError();
        if (state.step >= 0) steps.push(state.step);
        if (steps.length >= cancelAfterSteps) canceled = true;
      },
    },
  });
}

async function denoiseInputs(context: InvocationContext, model: ModelIdentifierFieldValue) {
  const loaded = (await runNode(MainModelLoaderInvocation, { model }, context)) as unknown as {
    unet: unknown;
    clip: unknown;
  };
  const pos = await runNode(CompelInvocation, { prompt: "a horse", clip: loaded.clip }, context);
  const neg = await runNode(CompelInvocation, { prompt: "", clip: loaded.clip }, context);
  const noise = await runNode(NoiseInvocation, { seed: 7, width: 64, height: 64 }, context);
  return {
    unet: loaded.unet,
    positive_conditioning: pos.conditioning,
    negative_conditioning: neg.conditioning,
    noise: noise.noise,
    steps: 6,
    scheduler: "euler_a",
  };
}

describe("denoise_latents", () => {
  it("stops within one step when the queue item is canceled", async () => {
    const context = modelContext(2);
    const inputs = await denoiseInputs(context, onnxModel);
    await expect(runNode(DenoiseLatentsInvocation, inputs, context)).rejects.toBeInstanceOf(CanceledError);
    expect(context.steps).toEqual([0, 1]);
  });

  it("runs every step and stores [1, 4, 8, 8] latents with the noise's seed", async () => {
    const context = modelContext();
    const out = await runNode(DenoiseLatentsInvocation, await denoiseInputs(context, onnxModel), context);
    expect(context.steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out).toMatchObject({ width: 64, height: 64, latents: { seed: 7 } });
    const latents = await context.tensors.load((out.latents as { latents_name: string }).latents_name);
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    expect(Array.from(latents.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it("refuses a UNet that is not an ONNX session, naming the model", async () => {
    const context = modelContext();
    const inputs = await denoiseInputs(context, onnxModel);
    const loaded = (await runNode(MainModelLoaderInvocation, { model: diffusersModel }, context)) as unknown as {
      unet: unknown;
    };
    const error = await runNode(DenoiseLatentsInvocation, { ...inputs, unet: loaded.unet }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GenerationModelError);
    expect((error as Error).message).toMatch(/unet of model sd-diffusers: is not an ONNX session/);
  });

  it("requires its conditioning and a cfg_scale list as long as the steps", async () => {
    const context = modelContext();
    const inputs = await denoiseInputs(context, onnxModel);
    await expect(
      runNode(DenoiseLatentsInvocation, { ...inputs, negative_conditioning: null }, context),
    ).rejects.toThrow(/missing connections for field negative_conditioning/);
    await expect(runNode(DenoiseLatentsInvocation, { ...inputs, cfg_scale: [7, 7] }, context)).rejects.toBeInstanceOf(
      NodeInputError,
    );
  });

  it("seeds the step noise as InvokeAI does (seed ^ 0xFFFFFFFF on a uint32)", () => {
    expect(stepNoiseSeed(0)).toBe(4294967295);
    expect(stepNoiseSeed(42)).toBe(4294967253);
    expect(stepNoiseSeed(4294967295)).toBe(0);
  });
});

describe("compel and main_model_loader", () => {
  it("encodes long prompts in 77-token chunks and parses weighting syntax", async () => {
    const context = createTestContext();
    Object.assign(context, { models: createContextModels(services.models) });
    const loaded = (await runNode(MainModelLoaderInvocation, { model: onnxModel }, context)) as unknown as {
      clip: unknown;
    };
    const embedsOf = async (prompt: string) => {
      const out = await runNode(CompelInvocation, { prompt, clip: loaded.clip }, context);
      const data = await context.conditioning.load(
        (out.conditioning as { conditioning_name: string }).conditioning_name,
      );
      return (data.conditionings[0] as { embeds: { shape: readonly number[]; data: Float32Array } }).embeds;
    };
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
    const tokenizer = await loadTokenizer(path.join(FIXTURES, "tiny-sd15/onnx/tokenizer"));
    const chunks = tokenizer.tokenizeChunks(words);
    expect(chunks).toHaveLength(2); // 30 words of the tiny vocabulary take more than 75 tokens
    const long = await embedsOf(words);
    expect(long.shape).toEqual([1, 154, 32]);
    // Each chunk is framed ([bos] … [eos] pad) and encoded on its own, then concatenated along the sequence.
    expect(chunks[0]).toEqual(tokenizer.tokenize(words).ids);
    const clip = loaded.clip as { text_encoder: ModelIdentifierFieldValue };
    const separately = await Promise.all(chunks.map((c) => encodePromptRows(context, clip.text_encoder, [c])));
    expect(Array.from(long.data)).toEqual([...separately[0]!.data, ...separately[1]!.data]);
    expect(separately[0]!.data).not.toEqual(separately[1]!.data);
    expect(context.store.logs.some((l) => l.level === "warning")).toBe(false);
    // Weighting syntax is parsed (compel-weighting.test.ts checks the numbers): "(red)1.2 car" is not "red car".
    const weighted = await embedsOf("(red)1.2 car");
    expect(Array.from(weighted.data)).not.toEqual(Array.from((await embedsOf("red car")).data));
    expect(context.store.logs.some((l) => l.level === "warning")).toBe(false);
  });

  it("fail with typed errors: no toolkit provided, unknown model", async () => {
    const context = modelContext();
    const loaded = (await runNode(MainModelLoaderInvocation, { model: onnxModel }, context)) as unknown as {
      clip: unknown;
    };
    provideDiffusionToolkit(null);
    try {
      await expect(runNode(CompelInvocation, { prompt: "x", clip: loaded.clip }, context)).rejects.toBeInstanceOf(
        DiffusionToolkitMissingError,
        encodePromptRows,
      );
    } finally {
      provideDiffusionToolkit({ loadTokenizer, createScheduler });
    }
    await expect(runNode(MainModelLoaderInvocation, { model: { ...onnxModel, key: "nope" } }, context)).rejects.toThrow(
      /model.*names no installed model \(key nope\)/,
    );
  });
});

describe("ONNX feeds follow each input's declared type and rank", () => {
  it("timesteps: rank 0 float, rank 1 per batch, int64 truncated", () => {
    expect(scalarFeed({ name: "timestep", type: "float32", shape: [] }, 999.5, 2)).toMatchObject({
      type: "float32",
      dims: [],
      data: new Float32Array([999.5]),
    });
    expect(scalarFeed({ name: "timestep", type: "float32", shape: ["batch"] }, 3, 2)).toMatchObject({ dims: [2] });
    expect(scalarFeed({ name: "timestep", type: "int64", shape: [1] }, 999.5, 2)).toMatchObject({
      type: "int64",
      dims: [1],
      data: new BigInt64Array([999n]),
    });
  });

  it("ids as int64 or int32; floats widened to float16 where the export wants it; other types refused", () => {
    expect(intFeed({ name: "input_ids", type: "int32", shape: null }, [1, 2], [5, 6]).data).toEqual(
      new Int32Array([5, 6]),
    );
    expect(intFeed({ name: "input_ids", type: "int64", shape: null }, [1, 1], [7]).data).toEqual(
      new BigInt64Array([7n]),
    );
    const half = floatFeed({ name: "sample", type: "float16", shape: null }, [2], new Float32Array([0.5, -2]));
    expect(float16ArrayToFloat32(half.data as Uint16Array)).toEqual(new Float32Array([0.5, -2]));
    expect(() => intFeed({ name: "input_ids", type: "float32", shape: null }, [1], [1])).toThrow(GenerationModelError);
  });

  it("asOnnxPart refuses objects without a session", () => {
    expect(() => asOnnxPart({ path: "/x" }, "unet of model m")).toThrow(/unet of model m: is not an ONNX session/);
  });
});
