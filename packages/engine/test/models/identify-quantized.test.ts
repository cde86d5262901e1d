import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identifyModel, InvalidModelError, probeModel, readGgufHeader } from "@atelier/engine";
import { fluxGgufTensors, GGML, ggufHeaderBytes, writeZeroGguf } from "./support/gguf-fixtures.js";
import { writeJsonFiles } from "./support/model-fixtures.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-identify-quantized-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
const next = (name: string) => join(dir, `${counter++}`, name);

describe("GGUF headers", () => {
  it("reads version, metadata, tensor names, ggml types and PyTorch-order shapes without reading tensor data", async () => {
    const vocab = Array.from({ length: 40 }, (_, i) => `tok${i}`);
    const path = await writeZeroGguf(next("header.gguf"), fluxGgufTensors(), {
      "general.architecture": "flux",
      "general.quantization_version": 2,
      "general.tags": ["a", "b"],
      "tokenizer.tokens": vocab,
      "general.is_test": true,
    });
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      const header = await readGgufHeader(handle, size);
      expect(header.version).toBe(3);
      expect(header.tensorCount).toBe(7);
      expect(header.metadata.get("general.architecture")).toBe("flux");
      expect(header.metadata.get("general.quantization_version")).toBe(2);
      expect(header.metadata.get("general.tags")).toEqual(["a", "b"]);
      expect(header.metadata.get("tokenizer.tokens")).toEqual({ arrayLength: 40 });
      expect(header.metadata.get("general.is_test")).toBe(true);
      const qkv = header.tensors.find((t) => t.name === "double_blocks.0.img_attn.qkv.weight")!;
      expect(qkv).toMatchObject({ type: "Q4_K", dims: [3072, 9216], shape: [9216, 3072] });
      expect(header.tensors.find((t) => t.name === "txt_in.weight")?.type).toBe("Q8_0");
      expect(header.headerBytes).toBe(ggufHeaderBytes(fluxGgufTensors(), {}).header.length + headerMetaBytes(vocab));
      expect(header.bytesRead).toBeLessThan(size / 20);
    } finally {
      await handle.close();
    }
  });

  it("refuses a wrong magic, a header cut short and absurd counts, naming the fault", async () => {
    const wrongMagic = next("wrong.gguf");
    await mkdir(dirname(wrongMagic), { recursive: true });
    await writeFile(wrongMagic, Buffer.from("GGML\x03\x00\x00\x00"));
    await expect(identifyModel(wrongMagic)).rejects.toThrow(/corrupt GGUF header: magic is "GGML"/);

    const whole = await readFile(await writeZeroGguf(next("whole.gguf"), fluxGgufTensors()));
    const cut = next("cut.gguf");
    await mkdir(dirname(cut), { recursive: true });
    await writeFile(cut, whole.subarray(0, 100));
    const error = await identifyModel(cut).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelError);
    expect((error as Error).message).toMatch(
      /cut\.gguf.*corrupt GGUF header: .* needs \d+ bytes but the file ends at byte 100/,
    );

    const huge = Buffer.from(whole);
    huge.writeBigUInt64LE(1n << 40n, 8);
    const hugePath = next("huge.gguf");
    await mkdir(dirname(hugePath), { recursive: true });
    await writeFile(hugePath, huge);
    await expect(identifyModel(hugePath)).rejects.toThrow(/tensor count 1099511627776 is larger than 1000000/);
  });

  it("lets the user state the kind of a GGUF file this reader cannot parse", async () => {
    const odd = next("odd.gguf");
    await mkdir(dirname(odd), { recursive: true });
    await writeFile(odd, "GGUF");
    const result = await identifyModel(odd, { overrides: { type: "main", base: "flux", format: "gguf_quantized" } });
    expect(result.fields).toMatchObject({ type: "main", base: "flux", format: "gguf_quantized" });
    expect(result.unknownReason).toMatch(/corrupt GGUF header/);
  });
});

describe("identifyModel: GGUF FLUX transformers", () => {
  it.each([
    ["FLUX.1 dev", fluxGgufTensors(), { base: "flux", variant: "dev" }],
    ["FLUX.1 schnell", fluxGgufTensors({ guidance: false }), { base: "flux", variant: "schnell" }],
    ["FLUX.1 fill", fluxGgufTensors({ imgIn: 384 }), { base: "flux", variant: "dev_fill" }],
    [
      "FLUX.2 Klein 4B",
      {
        "img_in.weight": [GGML.BF16, [3072, 128]],
        "txt_in.weight": [GGML.Q8_0, [3072, 7680]],
        "double_blocks.0.img_attn.norm.key_norm.scale": [GGML.F32, [128]],
        "double_blocks.0.img_attn.qkv.weight": [GGML.Q4_K, [9216, 3072]],
      } as const,
      { base: "flux2", variant: "klein_4b" },
    ],
  ] as const)("%s", async (_label, tensors, expected) => {
    const path = await writeZeroGguf(next("flux.gguf"), tensors);
    const result = await identifyModel(path);
    expect(result.fields).toMatchObject({ type: "main", format: "gguf_quantized", ...expected });
    expect(result.bytesRead).toBeLessThan((await stat(path)).size / 20);
  });

  it("reads a transformer saved under model.diffusion_model. and builds its whole config", async () => {
    const prefixed = Object.fromEntries(
      Object.entries(fluxGgufTensors()).map(([name, spec]) => [`model.diffusion_model.${name}`, spec]),
    );
    const path = await writeZeroGguf(next("flux1-dev-Q4_K_S.gguf"), prefixed);
    const config = await probeModel(path, { hashingAlgorithm: "random" });
    expect(config).toMatchObject({
      name: "flux1-dev-Q4_K_S",
      type: "main",
      format: "gguf_quantized",
      base: "flux",
      variant: "dev",
      default_settings: { width: 1024, height: 1024 },
    });
  });

  it("leaves a GGUF that is not a FLUX transformer unknown, saying why", async () => {
    const path = await writeZeroGguf(next("llm.gguf"), {
      "token_embd.weight": [GGML.Q4_K, [32000, 256]],
      "blk.0.attn_q.weight": [GGML.Q4_K, [256, 256]],
    });
    const result = await identifyModel(path);
    expect(result.fields).toMatchObject({ type: "unknown", format: "unknown", base: "unknown" });
    expect(result.unknownReason).toMatch(
      /GGUF is identified for FLUX and FLUX.2 transformers only.*token_embd\.weight/,
    );
  });
});

/** Writes a bitsandbytes NF4 FLUX checkpoint: packed U8 weights, their absmax and a real `quant_state` JSON blob. */
async function writeNf4Flux(path: string, imgIn: number, guidance: boolean): Promise<string> {
  const p = "model.diffusion_model.";
  const tensors: { name: string; dtype: string; shape: number[]; bytes?: Buffer }[] = [];
  const quantized = (name: string, shape: [number, number]) => {
    const state = Buffer.from(
      JSON.stringify({ quant_type: "nf4", blocksize: 64, dtype: "bfloat16", shape, nested_blocksize: 256 }),
    );
    tensors.push({ name, dtype: "U8", shape: [(shape[0] * shape[1]) / 2, 1] });
    tensors.push({ name: `${name}.absmax`, dtype: "U8", shape: [(shape[0] * shape[1]) / 64] });
    tensors.push({ name: `${name}.quant_map`, dtype: "F32", shape: [16] });
    tensors.push({ name: `${name}.quant_state.bitsandbytes__nf4`, dtype: "U8", shape: [state.length], bytes: state });
  };
  quantized(`${p}img_in.weight`, [3072, imgIn]);
  quantized(`${p}double_blocks.0.img_attn.proj.weight`, [3072, 3072]);
  tensors.push({ name: `${p}double_blocks.0.img_attn.norm.key_norm.scale`, dtype: "BF16", shape: [128] });
  if (guidance) quantized(`${p}guidance_in.out_layer.weight`, [3072, 3072]);
  const width: Record<string, number> = { U8: 1, F32: 4, BF16: 2 };
  const header: Record<string, unknown> = {};
  let offset = 0;
  const placed: { at: number; bytes: Buffer }[] = [];
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * width[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    if (t.bytes !== undefined) placed.push({ at: offset, bytes: t.bytes });
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + length, 0x20);
  head.writeBigUInt64LE(BigInt(length));
  json.copy(head, 8);
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "w");
  try {
    await handle.write(head, 0, head.length, 0);
    for (const { at, bytes } of placed) await handle.write(bytes, 0, bytes.length, head.length + at);
    await handle.truncate(head.length + offset);
  } finally {
    await handle.close();
  }
  return path;
}

describe("identifyModel: bitsandbytes NF4 FLUX checkpoints", () => {
  it("reads the packed img_in's original shape from its quant_state to tell dev, schnell and fill", async () => {
    const dev = await identifyModel(await writeNf4Flux(next("flux1-dev-bnb-nf4.safetensors"), 64, true));
    expect(dev.fields).toMatchObject({ type: "main", format: "bnb_quantized_nf4b", base: "flux", variant: "dev" });
    const schnell = await identifyModel(await writeNf4Flux(next("schnell-nf4.safetensors"), 64, false));
    expect(schnell.fields).toMatchObject({ format: "bnb_quantized_nf4b", variant: "schnell" });
    const fillPath = await writeNf4Flux(next("fill-nf4.safetensors"), 384, true);
    const fill = await identifyModel(fillPath);
    expect(fill.fields).toMatchObject({ format: "bnb_quantized_nf4b", base: "flux", variant: "dev_fill" });
    // The blob is a few hundred bytes: identification still reads far less than the weights.
    expect(fill.bytesRead).toBeLessThan((await stat(fillPath)).size / 20);
  });
});

describe("identifyModel: SD3 and FLUX.2 diffusers folders", () => {
  it("identifies SD3 with its CLIP-L, CLIP-G, T5, transformer and VAE as submodels, kept by probe", async () => {
    const folder = await writeJsonFiles(join(dir, `${counter++}`, "stable-diffusion-3.5-medium"), {
      "model_index.json": {
        _class_name: "StableDiffusion3Pipeline",
        scheduler: ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        text_encoder: ["transformers", "CLIPTextModelWithProjection"],
        text_encoder_2: ["transformers", "CLIPTextModelWithProjection"],
        text_encoder_3: ["transformers", "T5EncoderModel"],
        tokenizer: ["transformers", "CLIPTokenizer"],
        transformer: ["diffusers", "SD3Transformer2DModel"],
        vae: ["diffusers", "AutoencoderKL"],
        image_encoder: [null, null],
      },
      "text_encoder/config.json": { architectures: ["CLIPTextModelWithProjection"], hidden_size: 768 },
      "text_encoder_2/config.json": { architectures: ["CLIPTextModelWithProjection"], hidden_size: 1280 },
      "text_encoder_3/config.json": { architectures: ["T5EncoderModel"], d_model: 4096 },
      "transformer/config.json": { _class_name: "SD3Transformer2DModel", joint_attention_dim: 4096 },
      "vae/config.json": { _class_name: "AutoencoderKL", latent_channels: 16 },
      "scheduler/scheduler_config.json": { _class_name: "FlowMatchEulerDiscreteScheduler" },
    });
    const expected = {
      transformer: { path_or_prefix: "transformer", model_type: "main" },
      text_encoder: { path_or_prefix: "text_encoder", model_type: "clip_embed", variant: "large" },
      text_encoder_2: { path_or_prefix: "text_encoder_2", model_type: "clip_embed", variant: "gigantic" },
      text_encoder_3: { path_or_prefix: "text_encoder_3", model_type: "t5_encoder" },
      vae: { path_or_prefix: "vae", model_type: "vae" },
    };
    const result = await identifyModel(folder);
    expect(result.fields).toMatchObject({ type: "main", format: "diffusers", base: "sd-3", repo_variant: "" });
    expect(result.fields.submodels).toEqual(expected);
    const config = await probeModel(folder, { hashingAlgorithm: "random" });
    expect(config).toMatchObject({ base: "sd-3", submodels: expected });
  });

  it("refuses an SD3 pipeline whose transformer is of another class", async () => {
    const folder = await writeJsonFiles(join(dir, `${counter++}`, "odd-sd3"), {
      "model_index.json": {
        _class_name: "StableDiffusion3Pipeline",
        transformer: ["diffusers", "FluxTransformer2DModel"],
      },
      "transformer/config.json": { _class_name: "FluxTransformer2DModel" },
    });
    await expect(identifyModel(folder)).rejects.toThrow(
      /FluxTransformer2DModel transformer \(expected SD3Transformer2DModel\)/,
    );
  });

  it.each([
    ["FLUX.2-dev", "Flux2Pipeline", 15360, "Mistral3ForConditionalGeneration", "dev", "mistral_encoder"],
    ["FLUX.2-klein-4B", "Flux2KleinPipeline", 7680, "Qwen3ForCausalLM", "klein_4b", "qwen3_encoder"],
    ["FLUX.2-klein-base-9B", "Flux2KleinPipeline", 12288, "Qwen3ForCausalLM", "klein_9b_base", "qwen3_encoder"],
  ])("%s", async (name, className, width, encoder, variant, encoderType) => {
    const folder = await writeJsonFiles(join(dir, `${counter++}`, name), {
      "model_index.json": {
        _class_name: className,
        scheduler: ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        text_encoder: ["transformers", encoder],
        tokenizer: ["transformers", "PreTrainedTokenizerFast"],
        transformer: ["diffusers", "Flux2Transformer2DModel"],
        vae: ["diffusers", "AutoencoderKLFlux2"],
      },
      "text_encoder/config.json": { architectures: [encoder] },
      "transformer/config.json": {
        _class_name: "Flux2Transformer2DModel",
        joint_attention_dim: width,
        in_channels: 128,
      },
      "vae/config.json": { _class_name: "AutoencoderKLFlux2", latent_channels: 32 },
    });
    const result = await identifyModel(folder);
    expect(result.fields).toMatchObject({ type: "main", format: "diffusers", base: "flux2", variant });
    expect(result.fields.submodels).toEqual({
      transformer: { path_or_prefix: "transformer", model_type: "main" },
      text_encoder: { path_or_prefix: "text_encoder", model_type: encoderType },
      vae: { path_or_prefix: "vae", model_type: "vae" },
    });
  });

  it("reads the older StableDiffusionOnnxPipeline class name as an ONNX SD pipeline", async () => {
    const folder = await writeJsonFiles(join(dir, `${counter++}`, "old-onnx-export"), {
      "model_index.json": {
        _class_name: "StableDiffusionOnnxPipeline",
        text_encoder: ["diffusers", "OnnxRuntimeModel"],
        unet: ["diffusers", "OnnxRuntimeModel"],
        vae_decoder: ["diffusers", "OnnxRuntimeModel"],
      },
      "unet/config.json": { cross_attention_dim: 768, in_channels: 4 },
      "text_encoder/config.json": { hidden_act: "quick_gelu" },
    });
    await writeFile(join(folder, "unet", "model.onnx"), "onnx");
    const result = await identifyModel(folder);
    expect(result.fields).toMatchObject({ type: "main", format: "onnx", base: "sd-1", repo_variant: "onnx" });
  });
});

/** Bytes the fixture metadata of the first test adds to the header. */
function headerMetaBytes(vocab: readonly string[]): number {
  const str = (s: string) => 8 + Buffer.byteLength(s);
  return (
    str("general.architecture") +
    4 +
    str("flux") +
    str("general.quantization_version") +
    4 +
    4 +
    str("general.tags") +
    4 +
    4 +
    8 +
    str("a") +
    str("b") +
    str("tokenizer.tokens") +
    4 +
    4 +
    8 +
    vocab.reduce((n, t) => n + str(t), 0) +
    str("general.is_test") +
    4 +
    1
  );
}
