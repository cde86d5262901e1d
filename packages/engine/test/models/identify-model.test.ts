import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identifyModel, InvalidModelError, probeModel, UnidentifiedModelError } from "@atelier/engine";
import {
  clipTextKeys,
  controlNetKeys,
  diffusersLoraKeys,
  diffusersPipelineConfigs,
  flux2CheckpointKeys,
  fluxCheckpointKeys,
  fluxKohyaLoraKeys,
  ipAdapterKeys,
  kohyaLoraKeys,
  kohyaSdxlLoraKeys,
  lohaKeys,
  peftLoraKeys,
  sdCheckpointKeys,
  sdxlCheckpointKeys,
  sdxlRefinerCheckpointKeys,
  t5EncoderKeys,
  vaeKeys,
  writeJsonFiles,
  writeZeroSafetensors,
  type TensorSpec,
} from "./support/model-fixtures.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-identify-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function file(keys: Record<string, TensorSpec>, name?: string): Promise<string> {
  return writeZeroSafetensors(join(dir, `${counter++}`, name ?? "model.safetensors"), keys);
}

/** Identifies and checks that only headers were read: far less than the file, and exactly the header bytes. */
async function identifyHeadersOnly(path: string) {
  const result = await identifyModel(path);
  const { size } = await stat(path);
  expect(result.sizeBytes).toBe(size);
  expect(result.bytesRead).toBeLessThan(size / 20);
  return result;
}

describe("identifyModel: single files (headers only)", () => {
  it.each([
    [
      "SD 1 checkpoint",
      sdCheckpointKeys(768),
      { type: "main", format: "checkpoint", base: "sd-1", variant: "normal", prediction_type: "epsilon" },
    ],
    [
      "SD 1 inpainting",
      sdCheckpointKeys(768, 9),
      { type: "main", base: "sd-1", variant: "inpaint", config_path: "stable-diffusion/v1-inpainting-inference.yaml" },
    ],
    [
      "SD 2 checkpoint",
      sdCheckpointKeys(1024),
      { type: "main", base: "sd-2", variant: "normal", prediction_type: "v_prediction", upcast_attention: true },
    ],
    [
      "SD 2 depth",
      sdCheckpointKeys(1024, 5),
      { type: "main", base: "sd-2", variant: "depth", prediction_type: "epsilon" },
    ],
    [
      "SDXL checkpoint",
      sdxlCheckpointKeys(),
      {
        type: "main",
        format: "checkpoint",
        base: "sdxl",
        variant: "normal",
        config_path: "stable-diffusion/sd_xl_base.yaml",
      },
    ],
    ["SDXL refiner", sdxlRefinerCheckpointKeys(), { type: "main", base: "sdxl-refiner" }],
    ["FLUX dev", fluxCheckpointKeys(), { type: "main", format: "checkpoint", base: "flux", variant: "dev" }],
    ["FLUX schnell", fluxCheckpointKeys({ guidance: false }), { base: "flux", variant: "schnell" }],
    [
      "FLUX fill (prefixed)",
      fluxCheckpointKeys({ imgIn: 384, prefix: "model.diffusion_model." }),
      { base: "flux", variant: "dev_fill" },
    ],
    ["FLUX.2 Klein 4B", flux2CheckpointKeys(7680), { type: "main", base: "flux2", variant: "klein_4b" }],
    ["FLUX.2 Klein 9B", flux2CheckpointKeys(12288), { base: "flux2", variant: "klein_9b" }],
    ["FLUX.2 dev", flux2CheckpointKeys(15360), { base: "flux2", variant: "dev" }],
    ["SD VAE", vaeKeys(4), { type: "vae", format: "checkpoint", base: "sd-1" }],
    ["FLUX VAE", vaeKeys(16), { type: "vae", base: "flux" }],
    ["FLUX.2 VAE", vaeKeys(32), { type: "vae", base: "flux2" }],
    ["kohya LoRA SD 1", kohyaLoraKeys(768), { type: "lora", format: "lycoris", base: "sd-1" }],
    ["kohya LoRA SD 2", kohyaLoraKeys(1024), { type: "lora", base: "sd-2" }],
    ["kohya LoRA SDXL", kohyaSdxlLoraKeys(), { type: "lora", base: "sdxl" }],
    ["LyCORIS LoHa", lohaKeys(768), { type: "lora", format: "lycoris", base: "sd-1" }],
    ["diffusers LoRA", diffusersLoraKeys(1024), { type: "lora", base: "sd-2" }],
    ["PEFT LoRA", peftLoraKeys(2048), { type: "lora", base: "sdxl" }],
    ["FLUX LoRA", fluxKohyaLoraKeys(), { type: "lora", base: "flux" }],
    [
      "A1111 embedding",
      { emb_params: ["F32", [4, 768]] as TensorSpec },
      { type: "embedding", format: "embedding_file", base: "sd-1" },
    ],
    [
      "SD 2 embedding (string_to_param)",
      { "string_to_param.*": ["F32", [2, 1024]] as TensorSpec },
      { type: "embedding", base: "sd-2" },
    ],
    [
      "SDXL embedding",
      { clip_l: ["F16", [2, 768]] as TensorSpec, clip_g: ["F16", [2, 1280]] as TensorSpec },
      { type: "embedding", base: "sdxl" },
    ],
    ["diffusers embedding", { "<cat-toy>": ["F32", [768]] as TensorSpec }, { type: "embedding", base: "sd-1" }],
    [
      "ControlNet SD 1",
      controlNetKeys(768),
      { type: "controlnet", format: "checkpoint", base: "sd-1", default_settings: undefined },
    ],
    ["IP-Adapter SDXL", ipAdapterKeys(2048), { type: "ip_adapter", format: "checkpoint", base: "sdxl" }],
    ["T5 encoder", t5EncoderKeys(), { type: "t5_encoder", format: "checkpoint", base: "any" }],
    [
      "CLIP-L text encoder",
      clipTextKeys(768),
      { type: "clip_embed", format: "checkpoint", base: "any", variant: "large" },
    ],
    ["CLIP-G text encoder", clipTextKeys(1280), { type: "clip_embed", variant: "gigantic" }],
  ])("%s", async (_name, keys, expected) => {
    const { default_settings: _ignored, ...fields } = expected as Record<string, unknown>;
    const result = await identifyHeadersOnly(await file(keys));
    expect(result.unknownReason).toBeNull();
    expect(result.fields).toMatchObject(fields);
  });

  it("names VAEs by their file name where the weights do not tell (SDXL)", async () => {
    const result = await identifyModel(await file(vaeKeys(4), "sdxl_vae.safetensors"));
    expect(result.fields).toMatchObject({ type: "vae", base: "sdxl" });
  });

  it("prefers main over LoRA over CLIP embed when several kinds match", async () => {
    const merged = await identifyModel(await file({ ...sdCheckpointKeys(768), ...kohyaLoraKeys(768) }));
    expect(merged.matches.map((m) => m.fields.type)).toEqual(["main", "lora"]);
    expect(merged.fields.type).toBe("main");

    const loraAndClip = await identifyModel(await file({ ...kohyaLoraKeys(768), ...clipTextKeys(768) }));
    expect(loraAndClip.matches.map((m) => m.fields.type)).toEqual(["lora", "clip_embed"]);
    expect(loraAndClip.fields.type).toBe("lora");

    // A type override picks among the matches instead of replacing the verdict.
    const asLora = await identifyModel(await file({ ...sdCheckpointKeys(768), ...kohyaLoraKeys(1024) }), {
      overrides: { type: "lora" },
    });
    expect(asLora.fields).toMatchObject({ type: "lora", base: "sd-2", format: "lycoris" });
  });

  it("records why a file is unknown, and honours allow_unknown_models", async () => {
    const odd = await file({ "some.weight": ["F32", [3, 3]], "other.bias": ["F32", [3]] });
    const result = await identifyModel(odd);
    expect(result.fields).toEqual({ type: "unknown", format: "unknown", base: "unknown" });
    expect(result.unknownReason).toMatch(/no rule recognised its 2 tensors \(e\.g\. some\.weight, other\.bias\)/);
    await expect(identifyModel(odd, { allowUnknown: false })).rejects.toBeInstanceOf(UnidentifiedModelError);

    const pickle = join(dir, "legacy.ckpt");
    await writeFile(pickle, "PK\u0003\u0004 not really");
    expect((await identifyModel(pickle)).unknownReason).toMatch(/pickles.*convert to \.safetensors/);
    const text = join(dir, "notes.txt");
    await writeFile(text, "hello");
    expect((await identifyModel(text)).unknownReason).toMatch(/extension \.txt is not a model file extension/);
  });

  it("applies overrides to unknown models and over identified fields", async () => {
    const odd = await file({ "mystery.weight": ["F32", [8]] });
    const forced = await identifyModel(odd, { overrides: { type: "lora", base: "sd-1", format: "lycoris" } });
    expect(forced.fields).toEqual({ type: "lora", base: "sd-1", format: "lycoris" });
    expect(forced.unknownReason).not.toBeNull();
    const rebased = await identifyModel(await file(sdCheckpointKeys(768)), {
      overrides: { base: "sd-2", prediction_type: "v_prediction" },
    });
    expect(rebased.fields).toMatchObject({ type: "main", base: "sd-2", prediction_type: "v_prediction" });
  });

  it("fails with the header's fault on a corrupt or truncated safetensors file", async () => {
    const corrupt = join(dir, "corrupt.safetensors");
    const bad = Buffer.alloc(8 + 16, 0x20);
    bad.writeBigUInt64LE(16n, 0);
    bad.write("{not json", 8);
    await writeFile(corrupt, bad);
    const error = await identifyModel(corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelError);
    expect((error as Error).message).toMatch(
      /corrupt\.safetensors is invalid: corrupt safetensors header: .*not valid JSON/,
    );

    const truncated = await file(sdCheckpointKeys(768));
    const { size } = await stat(truncated);
    const { truncate } = await import("node:fs/promises");
    await truncate(truncated, size - 100);
    await expect(identifyModel(truncated)).rejects.toThrow(
      /corrupt safetensors header: .*go beyond the .* bytes of tensor data/,
    );

    const hugeLength = join(dir, "huge.safetensors");
    const h = Buffer.alloc(8);
    h.writeBigUInt64LE(1n << 40n, 0);
    await writeFile(hugeLength, h);
    await expect(identifyModel(hugeLength)).rejects.toThrow(/exceeds the 100000000-byte limit/);
  });

  it("refuses a LoRA whose base cannot be told, as a broken match (not unknown)", async () => {
    const path = await file(kohyaLoraKeys(640));
    await expect(identifyModel(path)).rejects.toThrow(/LoRA: LoRA trained on 640-wide text tokens/);
    // With type, base and format given, the user's word stands.
    const forced = await identifyModel(path, { overrides: { type: "lora", base: "sd-1", format: "lycoris" } });
    expect(forced.fields).toMatchObject({ type: "lora", base: "sd-1" });
  });
});

describe("identifyModel: folders (JSON configs only)", () => {
  async function folder(files: Record<string, unknown>): Promise<string> {
    return writeJsonFiles(join(dir, `folder-${counter++}`), files);
  }

  it.each([
    [
      "SD 1 pipeline",
      { className: "StableDiffusionPipeline", crossAttentionDim: 768 },
      {
        type: "main",
        format: "diffusers",
        base: "sd-1",
        variant: "normal",
        prediction_type: "epsilon",
        repo_variant: "",
      },
    ],
    [
      "SD 2 v-prediction",
      { className: "StableDiffusionPipeline", crossAttentionDim: 1024, prediction: "v_prediction" },
      { base: "sd-2", prediction_type: "v_prediction" },
    ],
    [
      "SD 1 inpainting",
      { className: "StableDiffusionInpaintPipeline", crossAttentionDim: 768, inChannels: 9 },
      { base: "sd-1", variant: "inpaint" },
    ],
    [
      "SDXL",
      {
        className: "StableDiffusionXLPipeline",
        crossAttentionDim: 2048,
        textEncoders: ["text_encoder", "text_encoder_2"],
      },
      { base: "sdxl" },
    ],
    [
      "SDXL refiner",
      { className: "StableDiffusionXLImg2ImgPipeline", crossAttentionDim: 1280, textEncoders: ["text_encoder_2"] },
      { base: "sdxl-refiner" },
    ],
  ])("%s", async (_name, options, expected) => {
    const result = await identifyModel(await folder(diffusersPipelineConfigs(options)));
    expect(result.fields).toMatchObject({ type: "main", format: "diffusers", ...expected });
  });

  it("identifies single-part folders: VAE, ControlNet, T5, CLIP, LoRA, embedding", async () => {
    const vae = await folder({
      "config.json": { _class_name: "AutoencoderKL", latent_channels: 4, scaling_factor: 0.13025 },
    });
    expect((await identifyModel(vae)).fields).toEqual({
      type: "vae",
      format: "diffusers",
      base: "sdxl",
      repo_variant: "",
    });
    const fluxVae = await folder({ "config.json": { _class_name: "AutoencoderKL", latent_channels: 16 } });
    expect((await identifyModel(fluxVae)).fields).toMatchObject({ type: "vae", base: "flux" });
    const controlnet = await folder({ "config.json": { _class_name: "ControlNetModel", cross_attention_dim: 1024 } });
    expect((await identifyModel(controlnet)).fields).toEqual({
      type: "controlnet",
      format: "diffusers",
      base: "sd-2",
      repo_variant: "",
    });
    const t5 = await folder({
      "text_encoder_2/config.json": { architectures: ["T5EncoderModel"] },
      "tokenizer_2/tokenizer_config.json": {},
    });
    expect((await identifyModel(t5)).fields).toEqual({ type: "t5_encoder", format: "t5_encoder", base: "any" });
    const clip = await folder({ "config.json": { architectures: ["CLIPTextModelWithProjection"], hidden_size: 1280 } });
    expect((await identifyModel(clip)).fields).toEqual({
      type: "clip_embed",
      format: "diffusers",
      base: "any",
      variant: "gigantic",
      repo_variant: "",
    });

    const lora = join(dir, `lora-folder-${counter++}`);
    await writeZeroSafetensors(join(lora, "pytorch_lora_weights.safetensors"), peftLoraKeys(768));
    expect((await identifyModel(lora)).fields).toEqual({
      type: "lora",
      format: "diffusers",
      base: "sd-1",
      repo_variant: "",
    });
    const embedding = join(dir, `ti-folder-${counter++}`);
    await writeZeroSafetensors(join(embedding, "learned_embeds.safetensors"), { "<token>": ["F32", [1024]] });
    expect((await identifyModel(embedding)).fields).toEqual({
      type: "embedding",
      format: "embedding_folder",
      base: "sd-2",
    });
  });

  it("gives a folder without a config the unknown kind with its reason, and refuses folders that hold no model", async () => {
    const loose = join(dir, `loose-${counter++}`);
    await writeZeroSafetensors(join(loose, "weights", "a.safetensors"), { x: ["F32", [2]] });
    const result = await identifyModel(loose);
    expect(result.fields.type).toBe("unknown");
    expect(result.unknownReason).toBe("folder has no model_index.json or config.json");

    const empty = join(dir, `empty-${counter++}`);
    await writeJsonFiles(empty, { "notes.json": { hello: 1 } });
    await expect(identifyModel(empty)).rejects.toThrow(/holds no model file and no model config/);
  });

  it("identifies the real tiny pipelines: diffusers, ONNX and the single-file SD 1.5 checkpoint", async () => {
    const sd15 = await identifyModel(join(FIXTURES, "tiny-sd15/diffusers"));
    expect(sd15.fields).toMatchObject({
      type: "main",
      format: "diffusers",
      base: "sd-1",
      variant: "normal",
      prediction_type: "epsilon",
    });
    const sd15Onnx = await identifyModel(join(FIXTURES, "tiny-sd15/onnx"));
    expect(sd15Onnx.fields).toMatchObject({ type: "main", format: "onnx", base: "sd-1", repo_variant: "onnx" });
    const sdxl = await identifyModel(join(FIXTURES, "tiny-sdxl/diffusers"));
    expect(sdxl.fields).toMatchObject({ type: "main", format: "diffusers", base: "sdxl" });
    expect((await identifyModel(join(FIXTURES, "tiny-sdxl/onnx"))).fields).toMatchObject({
      format: "onnx",
      base: "sdxl",
    });
    const flux = await identifyModel(join(FIXTURES, "tiny-flux/diffusers"));
    expect(flux.fields).toMatchObject({ type: "main", format: "diffusers", base: "flux", variant: "dev" });
    expect((await identifyModel(join(FIXTURES, "tiny-flux/onnx"))).fields).toMatchObject({
      format: "onnx",
      base: "flux",
      variant: "dev",
    });
    // Folders are identified from JSON alone: nothing near the size of the weights is read.
    expect(sd15.bytesRead).toBeLessThan(20_000);
    expect(sd15.sizeBytes).toBeGreaterThan(5_000_000);

    const single = join(FIXTURES, "tiny-sd15/tiny-sd15.safetensors");
    const checkpoint = await identifyHeadersOnly(single);
    expect(checkpoint.fields).toMatchObject({ type: "main", format: "checkpoint", base: "sd-1", variant: "normal" });
  });
});

describe("probeModel", () => {
  it("adds the common fields: key, hash, size, name, source and default settings", async () => {
    const path = await file(sdxlCheckpointKeys(), "juggernaut.safetensors");
    const config = await probeModel(path, { overrides: { description: "test" }, hashingAlgorithm: "random" });
    expect(config).toMatchObject({
      name: "juggernaut",
      description: "test",
      type: "main",
      base: "sdxl",
      source: path,
      source_type: "path",
      file_size: (await stat(path)).size,
      default_settings: { width: 1024, height: 1024 },
      trigger_phrases: null,
    });
    expect(config.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(config.hash).toMatch(/^random:[0-9a-f]{64}$/);
    const unknown = await probeModel(await file({ z: ["F32", [1]] }), { hashingAlgorithm: "random" });
    expect(unknown.unknown_reason).toMatch(/no rule recognised/);
    const control = await probeModel(await file(controlNetKeys(768), "control_v11p_sd15_canny.safetensors"), {
      hashingAlgorithm: "random",
    });
    expect(control.default_settings).toEqual({ preprocessor: "canny_image_processor" });
  });
});
