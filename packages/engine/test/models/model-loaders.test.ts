import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors } from "@atelier/core";
import {
  LazyStateDict,
  ModelLoadError,
  NoModelLoaderError,
  type ModelComponent,
  type ModelConfig,
  type OnnxComponent,
} from "@atelier/engine";
import { kohyaLoraKeys } from "./support/model-fixtures.js";
import { managerFixture, randomSafetensors, type ManagerFixture } from "./support/model-manager-fixture.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

let f: ManagerFixture;
let diffusers: ModelConfig;
let onnx: ModelConfig;
let checkpoint: ModelConfig;

beforeAll(async () => {
  // Fast hashing: these tests are about loading, and the fixtures are read-only (registered in place).
  f = await managerFixture({ overrides: { hashing_algorithm: "random" } });
  diffusers = await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/diffusers"), { name: "tiny-sd15" });
  onnx = await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/onnx"), { name: "tiny-sd15-onnx" });
  checkpoint = await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/tiny-sd15.safetensors"));
});
afterAll(async () => {
  await f.dispose();
});

describe("loading recorded models through the cache", () => {
  it("loads a diffusers submodel as its config plus a lazy state dict, with load events, once", async () => {
    const before = f.log.length;
    const unet = await f.manager.load.loadModel(diffusers, "unet");
    const component = unet.model as ModelComponent;
    expect(component).toMatchObject({
      submodelType: "unet",
      className: "UNet2DConditionModel",
      path: join(FIXTURES, "tiny-sd15/diffusers/unet"),
    });
    expect(component.config).toMatchObject({ cross_attention_dim: 32, in_channels: 4 });
    expect(component.stateDict!.loadedBytes).toBe(0);
    const convIn = await component.stateDict!.get("conv_in.weight");
    expect(convIn).toMatchObject({ dtype: "float32", shape: [32, 4, 3, 3] });
    expect(f.log.slice(before).map((e) => e.name)).toEqual(["model_load_started", "model_load_complete"]);
    expect(f.log.at(-1)!.payload).toMatchObject({
      submodel_type: "unet",
      user_id: "system",
      config: { key: diffusers.key },
    });

    const again = await f.manager.load.loadModel(diffusers, "unet");
    expect(again.model).toBe(component);
    expect(f.manager.cache.keys()).toContain(`${diffusers.key}:unet`);
    expect(f.manager.cache.stats().loaded_model_sizes[`${diffusers.key}:unet`]).toBe(
      component.stateDict!.sizeBytes + 4096,
    );

    const scheduler = (await f.manager.load.loadModel(diffusers, "scheduler")).model as ModelComponent;
    expect(scheduler).toMatchObject({ className: "PNDMScheduler", stateDict: null });
    const tokenizer = (await f.manager.load.loadModel(diffusers, "tokenizer")).model as ModelComponent;
    expect(tokenizer.files).toEqual(expect.arrayContaining(["merges.txt", "vocab.json", "tokenizer.json"]));

    await expect(f.manager.load.loadModel(diffusers, "safety_checker")).rejects.toThrow(
      /Cannot load model tiny-sd15 .*: it has no submodel safety_checker \(it has: .*unet.*\)/,
    );
    await expect(f.manager.load.loadModel(diffusers, null)).rejects.toThrow(/loads by submodel/);
  });

  it("loads ONNX parts as onnxruntime sessions that reproduce the reference text embeddings", async () => {
    const loaded = await f.manager.load.loadModel(onnx, "text_encoder");
    const result = await loaded.use(async (part) => {
      const component = part as OnnxComponent;
      expect(component.executionProvider).toBe("cpu");
      expect(component.session.inputNames).toEqual(["input_ids"]);
      const cases = decodeSafetensors(
        await readFile(join(FIXTURES, "cases/sd15_euler_4steps_cfg7.5/tensors.safetensors")),
      ).tensors;
      const ort = await import("onnxruntime-node");
      const ids = cases.input_ids;
      const output = await component.session.run({
        input_ids: new ort.Tensor("int64", ids.data as BigInt64Array, [...ids.shape]),
      });
      return { hidden: output.last_hidden_state, expected: cases.prompt_embeds };
    });
    expect(result.hidden.dims).toEqual([1, 77, 32]);
    const got = result.hidden.data as Float32Array;
    const want = result.expected.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);

    const tokenizer = (await f.manager.load.loadModel(onnx, "tokenizer")).model as ModelComponent;
    expect(tokenizer.stateDict).toBeNull();
    await expect(f.manager.load.loadModel(onnx, "vae")).rejects.toThrow(/no submodel vae \(it has: .*vae_decoder.*\)/);
  });

  it("asks onnxruntime for CUDA when config device says so, and says clearly when this runtime has none", async () => {
    const cuda = await managerFixture({ overrides: { hashing_algorithm: "random", device: "cuda:0" } });
    try {
      const config = await cuda.manager.install.registerPath(join(FIXTURES, "tiny-sd15/onnx"), { name: "gpu" });
      const error = await cuda.manager.load.loadModel(config, "text_encoder").catch((e: unknown) => e);
      // This CPU build of onnxruntime-node ships no CUDA provider library; a GPU build would load the session.
      expect(error).toBeInstanceOf(ModelLoadError);
      expect((error as Error).message).toMatch(
        /could not start the CUDA execution provider \(device cuda:0\): .*; set device: cpu/s,
      );
    } finally {
      await cuda.dispose();
    }
  });

  it("loads a single-file checkpoint whole, or a submodel as the view of its prefix", async () => {
    const whole = (await f.manager.load.loadModel(checkpoint)).model as LazyStateDict;
    expect(whole.size).toBe(304 + 176 + 36);
    const unet = (await f.manager.load.loadModel(checkpoint, "unet")).model as LazyStateDict;
    expect(unet.size).toBe(304);
    expect(unet.info("input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight").shape).toEqual([32, 32]);
    const vae = (await f.manager.load.loadModel(checkpoint, "vae")).model as LazyStateDict;
    expect(vae.size).toBe(176);
    expect((await f.manager.load.loadModel(checkpoint, "text_encoder")).model).toBeInstanceOf(LazyStateDict);
    await expect(f.manager.load.loadModel(checkpoint, "text_encoder_2")).rejects.toThrow(
      /the checkpoint file has no text_encoder_2 weights/,
    );
  });

  it("uses a registered custom loader, and says when no loader fits", async () => {
    const odd = join(f.root, "odd.gguf");
    await writeFile(odd, "GGUF");
    const gguf = await f.manager.install.registerPath(odd, { type: "main", base: "flux", format: "gguf_quantized" });
    await expect(f.manager.load.loadModel(gguf)).rejects.toBeInstanceOf(NoModelLoaderError);
    f.manager.loaders.register({ type: "main", format: "gguf_quantized", base: "flux" }, async (request) => ({
      model: { magic: (await readFile(request.path, "utf8")).slice(0, 4), submodel: request.submodelType },
      sizeBytes: 4,
    }));
    expect((await f.manager.load.loadModel(gguf, "transformer")).model).toEqual({
      magic: "GGUF",
      submodel: "transformer",
    });
  });
});

describe("loadLocalModel", () => {
  it("loads unrecorded files with the default loaders, or a custom loader (once, freed on eviction)", async () => {
    const path = join(f.root, "local-lora.safetensors");
    await randomSafetensors(path, kohyaLoraKeys(768));
    const local = await f.manager.load.loadLocalModel(path);
    expect(local.model).toBeInstanceOf(LazyStateDict);

    const calls: string[] = [];
    const freed: string[] = [];
    const loader = async (p: string) => {
      calls.push(p);
      return { text: "custom", [Symbol.dispose]: () => void freed.push(p) };
    };
    const [a, b] = await Promise.all([
      f.manager.load.loadLocalModel(path, loader),
      f.manager.load.loadLocalModel(path, loader),
    ]);
    expect(calls).toEqual([path]);
    expect(a.model).toBe(b.model);
    expect(await a.use((m) => (m as { text: string }).text)).toBe("custom");
    expect(f.manager.cache.clear()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(freed).toEqual([path]);

    const failing = () => {
      throw new Error("bad bytes");
    };
    await expect(f.manager.load.loadLocalModel(path, failing)).rejects.toThrow(
      /local-lora\.safetensors: the custom loader failed: bad bytes/,
    );
    const pickle = join(f.root, "legacy.ckpt");
    await writeFile(pickle, "x");
    const refused = await f.manager.load.loadLocalModel(pickle).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ModelLoadError);
    expect((refused as Error).message).toMatch(/\.ckpt files are pickles/);
  });
});
