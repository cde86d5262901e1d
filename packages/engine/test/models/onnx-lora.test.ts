// LoRAs merged into the tiny SD1.5 ONNX UNet and text encoder. LoRA files are made here in kohya and
// diffusers/PEFT styles; the expected weights are computed in this file from the diffusers weights the ONNX
// files were exported from (W' = fp32(W + weight·alpha/rank · up@down), LoRAs one after another), and each
// patched initializer is found by value in the base export, not through the module index under test.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  toFloat32,
  type LoRAFieldValue,
  type ModelConfigRecord,
  type Tensor,
} from "@atelier/core";
import {
  createContextModels,
  identifyModel,
  LazyStateDict,
  LoraPatchError,
  parseOnnxModel,
  patchOnnxWithLoras,
  readInitializerFloats,
  readOnnxModelFile,
  writeInitializerFloats,
  type OnnxComponent,
  type OnnxModelFile,
} from "@atelier/engine";
import { managerFixture, type ManagerFixture } from "./support/model-manager-fixture.js";

const SD15 = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion/tiny-sd15");

/** mulberry32: a small seeded generator, so the LoRA files are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function f32(shape: number[], next: () => number): Tensor<"float32"> {
  return { dtype: "float32", shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next) };
}

function f16(shape: number[], next: () => number): Tensor<"float16"> {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float16", shape, data: Uint16Array.from({ length: n }, () => float32ToFloat16Bits(next())) };
}

/** One layer of a test LoRA: the diffusers module it patches and its tensors. */
interface Layer {
  part: "unet" | "text_encoder";
  module: string;
  down: Tensor;
  up: Tensor;
  alpha?: number;
  /** The LDM (original checkpoint) name a kohya file may use instead. */
  ldm?: string;
}

/** kohya-style LoRA (f32, with alphas): attention MatMuls, 1×1 and 3×3 convs, Gemms, LDM names, a CLIP MLP. */
function kohyaLayers(): Layer[] {
  const next = random(1);
  const r = 4;
  return [
    {
      part: "unet",
      module: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
      down: f32([r, 32], next),
      up: f32([32, r], next),
      alpha: 2,
    },
    {
      part: "unet",
      module: "mid_block.attentions.0.transformer_blocks.0.attn2.to_k",
      down: f32([r, 32], next),
      up: f32([64, r], next),
      alpha: 8,
    },
    {
      part: "unet",
      module: "down_blocks.0.attentions.0.proj_in",
      down: f32([r, 32, 1, 1], next),
      up: f32([32, r, 1, 1], next),
      alpha: 4,
    },
    {
      part: "unet",
      module: "down_blocks.0.resnets.0.conv1",
      down: f32([r, 32, 3, 3], next),
      up: f32([32, r, 1, 1], next),
      alpha: 1,
    },
    {
      part: "unet",
      module: "down_blocks.0.resnets.0.time_emb_proj",
      down: f32([r, 128], next),
      up: f32([32, r], next),
      alpha: 3,
    },
    {
      part: "unet",
      module: "up_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj",
      down: f32([r, 32], next),
      up: f32([256, r], next),
      alpha: 4,
    },
    {
      part: "unet",
      module: "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_q",
      ldm: "output_blocks.4.1.transformer_blocks.0.attn2.to_q",
      down: f32([r, 32], next),
      up: f32([32, r], next),
      alpha: 2,
    },
    {
      part: "unet",
      module: "down_blocks.1.resnets.1.time_emb_proj",
      ldm: "input_blocks.5.0.emb_layers.1",
      down: f32([r, 128], next),
      up: f32([64, r], next),
      alpha: 2,
    },
    {
      part: "text_encoder",
      module: "text_model.encoder.layers.0.self_attn.q_proj",
      down: f32([r, 32], next),
      up: f32([32, r], next),
      alpha: 2,
    },
    {
      part: "text_encoder",
      module: "text_model.encoder.layers.1.mlp.fc1",
      down: f32([r, 32], next),
      up: f32([37, r], next),
      alpha: 4,
    },
  ];
}

/** diffusers/PEFT-style LoRA (f16, no alphas): lora_A/lora_B and lora.down/lora.up; overlaps kohya on q_proj. */
function peftLayers(): Layer[] {
  const next = random(2);
  const r = 2;
  return [
    {
      part: "unet",
      module: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_v",
      down: f16([r, 32], next),
      up: f16([32, r], next),
    },
    {
      part: "unet",
      module: "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0",
      down: f16([r, 32], next),
      up: f16([32, r], next),
    },
    { part: "unet", module: "mid_block.attentions.0.proj_out", down: f16([r, 64], next), up: f16([64, r], next) },
    {
      part: "text_encoder",
      module: "text_model.encoder.layers.0.self_attn.q_proj",
      down: f16([r, 32], next),
      up: f16([32, r], next),
    },
    {
      part: "text_encoder",
      module: "text_model.encoder.layers.1.self_attn.out_proj",
      down: f16([r, 32], next),
      up: f16([32, r], next),
    },
  ];
}

function kohyaFile(layers: Layer[]): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const l of layers) {
    const name = `${l.part === "unet" ? "lora_unet" : "lora_te"}_${(l.ldm ?? l.module).replaceAll(".", "_")}`;
    tensors[`${name}.lora_down.weight`] = l.down;
    tensors[`${name}.lora_up.weight`] = l.up;
    if (l.alpha !== undefined)
      tensors[`${name}.alpha`] = { dtype: "float32", shape: [], data: Float32Array.of(l.alpha) };
  }
  return encodeSafetensors(tensors);
}

function peftFile(layers: Layer[]): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  layers.forEach((l, i) => {
    // Half the layers in PEFT's lora_A/lora_B names, half in diffusers' older lora.down/lora.up.
    const [down, up] = i % 2 === 0 ? ["lora_A.weight", "lora_B.weight"] : ["lora.down.weight", "lora.up.weight"];
    tensors[`${l.part}.${l.module}.${down}`] = l.down;
    tensors[`${l.part}.${l.module}.${up}`] = l.up;
  });
  return encodeSafetensors(tensors);
}

const asFloats = (t: Tensor): Float32Array =>
  t.dtype === "float16" ? Float32Array.from(t.data as Uint16Array, float16BitsToFloat32) : (t.data as Float32Array);

type Weights = Map<string, { shape: readonly number[]; data: Float32Array }>;

async function diffusersWeights(part: string, file: string): Promise<Weights> {
  const decoded = decodeSafetensors(new Uint8Array(await readFile(join(SD15, "diffusers", part, file)))).tensors;
  return new Map(Object.entries(decoded).map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t).data }]));
}

/** Torch-layout weights after merging `loras` (each with its weight), computed from the diffusers weights. */
function expectedWeights(base: Weights, part: Layer["part"], loras: { layers: Layer[]; weight: number }[]): Weights {
  const out: Weights = new Map();
  for (const { layers, weight } of loras) {
    for (const l of layers) {
      if (l.part !== part) continue;
      const key = `${l.module}.weight`;
      const w = out.get(key) ?? { shape: base.get(key)!.shape, data: Float32Array.from(base.get(key)!.data) };
      const rank = l.down.shape[0]!;
      const rows = l.up.shape[0]!;
      const inner = w.data.length / rows;
      const scale = (weight * (l.alpha ?? rank)) / rank;
      const up = asFloats(l.up);
      const down = asFloats(l.down);
      for (let o = 0; o < rows; o++) {
        for (let j = 0; j < inner; j++) {
          let sum = 0;
          for (let r = 0; r < rank; r++) sum += up[o * rank + r]! * down[r * inner + j]!;
          w.data[o * inner + j] = Math.fround(w.data[o * inner + j]! + scale * sum);
        }
      }
      out.set(key, w);
    }
  }
  return out;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function same(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The initializer of `model` holding `weight` (torch layout) as is or transposed, found by value. */
function initializerHolding(model: OnnxModelFile, weight: { shape: readonly number[]; data: Float32Array }) {
  const transposed = weight.shape.length === 2 ? transpose(weight.data, weight.shape[0]!, weight.shape[1]!) : undefined;
  for (const init of model.initializers) {
    if (init.dataType !== 1 || init.dims.reduce((a, b) => a * b, 1) !== weight.data.length) continue;
    const values = readInitializerFloats(model, init);
    if (same(values, weight.data)) return { init, transposed: false };
    if (transposed !== undefined && same(values, transposed)) return { init, transposed: true };
  }
  throw new Error(`no initializer holds a weight of shape [${weight.shape.join(", ")}]`);
}

/** Base model bytes with the expected weights written in (by this test, from its own computation). */
function expectedModelBytes(model: OnnxModelFile, base: Weights, expected: Weights): Uint8Array {
  const bytes = new Uint8Array(model.bytes);
  for (const [key, w] of expected) {
    const { init, transposed } = initializerHolding(model, base.get(key)!);
    writeInitializerFloats(
      model,
      init,
      transposed ? transpose(w.data, w.shape[0]!, w.data.length / w.shape[0]!) : w.data,
      bytes,
    );
  }
  return bytes;
}

const UNET_FILE = join(SD15, "onnx/unet/model.onnx");
const TE_FILE = join(SD15, "onnx/text_encoder/model.onnx");

function unetFeeds(): Record<string, ort.Tensor> {
  const next = random(7);
  return {
    sample: new ort.Tensor("float32", Float32Array.from({ length: 4 * 64 }, next), [1, 4, 8, 8]),
    timestep: new ort.Tensor("float32", Float32Array.of(501), []),
    encoder_hidden_states: new ort.Tensor("float32", Float32Array.from({ length: 77 * 32 }, next), [1, 77, 32]),
  };
}

function teFeeds(): Record<string, ort.Tensor> {
  const ids = BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i === 0 ? 998 : i < 6 ? 300 + i * 7 : 999));
  return { input_ids: new ort.Tensor("int64", ids, [1, 77]) };
}

async function run(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<Float32Array> {
  const result = await session.run(feeds);
  return Float32Array.from(result[output]!.data as Float32Array);
}

let dir: string;
let f: ManagerFixture;
let unetBase: Weights;
let teBase: Weights;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-onnx-lora-"));
  f = await managerFixture({ overrides: { hashing_algorithm: "random" } });
  unetBase = await diffusersWeights("unet", "diffusion_pytorch_model.safetensors");
  teBase = await diffusersWeights("text_encoder", "model.safetensors");
});
afterAll(async () => {
  await f.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("merging LoRAs into ONNX initializers", () => {
  it("patched initializers equal base + delta exactly, in kohya and PEFT styles, one LoRA after another", async () => {
    await writeFile(join(dir, "kohya.safetensors"), kohyaFile(kohyaLayers()));
    await writeFile(join(dir, "peft.safetensors"), peftFile(peftLayers()));
    const kohya = await LazyStateDict.open(join(dir, "kohya.safetensors"));
    const peft = await LazyStateDict.open(join(dir, "peft.safetensors"));
    const loras = [
      { name: "kohya", stateDict: kohya, weight: 0.8 },
      { name: "peft", stateDict: peft, weight: -1.25 },
    ];
    const expectedSets = [
      { layers: kohyaLayers(), weight: 0.8 },
      { layers: peftLayers(), weight: -1.25 },
    ];
    for (const [file, target, base, part] of [
      [UNET_FILE, "unet", unetBase, "unet"],
      [TE_FILE, "text_encoder", teBase, "text_encoder"],
    ] as const) {
      const model = await readOnnxModelFile(file);
      const before = new Uint8Array(model.bytes);
      const patch = await patchOnnxWithLoras(model, loras, target);
      expect(patch.unmatched).toEqual([]);
      const patched = parseOnnxModel(patch.bytes, "patched");
      const expected = expectedWeights(base, part, expectedSets);
      const touched = new Set<string>();
      for (const [key, w] of expected) {
        const { init, transposed } = initializerHolding(model, base.get(key)!);
        touched.add(init.name);
        const got = readInitializerFloats(
          patched,
          patched.initializers.find((i) => i.name === init.name)!,
        );
        const want = transposed ? transpose(w.data, w.shape[0]!, w.data.length / w.shape[0]!) : w.data;
        expect(same(got, want), `${file} ${key}`).toBe(true);
        expect(same(got, readInitializerFloats(model, init)), `${key} changed`).toBe(false);
      }
      expect(new Set(patch.patched)).toEqual(touched);
      // Every other initializer is byte for byte the same, and the base model's bytes were not written to.
      for (const init of model.initializers) {
        if (touched.has(init.name) || init.data.kind !== "inline") continue;
        const { offset, byteLength } = init.data;
        expect(
          Buffer.compare(
            patch.bytes.subarray(offset, offset + byteLength),
            before.subarray(offset, offset + byteLength),
          ),
        ).toBe(0);
      }
      expect(Buffer.compare(model.bytes, before)).toBe(0);
    }
    await kohya.close();
    await peft.close();
  });

  it("refuses LoRA layers it cannot merge, and LoRAs none of whose layers fit the model, naming them", async () => {
    const model = await readOnnxModelFile(TE_FILE);
    const next = random(3);
    const dict = (tensors: Record<string, Tensor>) => ({
      keys: () => Object.keys(tensors),
      get: async (k: string) => tensors[k]!,
    });
    const loha = dict({ "lora_te_text_model_encoder_layers_0_mlp_fc2.hada_w1_a": f32([2, 2], next) });
    await expect(
      patchOnnxWithLoras(model, [{ name: "loha", stateDict: loha, weight: 1 }], "text_encoder"),
    ).rejects.toThrow(/Cannot apply LoRA loha: layer lora_te_text_model_encoder_layers_0_mlp_fc2 is a LoHA layer/);
    const elsewhere = dict({
      "lora_te_text_model_encoder_layers_9_mlp_fc2.lora_down.weight": f32([2, 37], next),
      "lora_te_text_model_encoder_layers_9_mlp_fc2.lora_up.weight": f32([32, 2], next),
    });
    await expect(
      patchOnnxWithLoras(model, [{ name: "big", stateDict: elsewhere, weight: 1 }], "text_encoder"),
    ).rejects.toBeInstanceOf(LoraPatchError);
    const wrongShape = dict({
      "lora_te_text_model_encoder_layers_0_mlp_fc2.lora_down.weight": f32([2, 32], next),
      "lora_te_text_model_encoder_layers_0_mlp_fc2.lora_up.weight": f32([32, 2], next),
    });
    await expect(
      patchOnnxWithLoras(model, [{ name: "wide", stateDict: wrongShape, weight: 1 }], "text_encoder"),
    ).rejects.toThrow(
      /layer lora_te_text_model_encoder_layers_0_mlp_fc2 has shape up \[32, 2\] · down \[2, 32\] but .*mlp.fc2 is \[32, 37\]/,
    );
    // A UNet-only LoRA leaves the text encoder as it is.
    const unetOnly = dict({ "lora_unet_mid_block_attentions_0_proj_in.lora_down.weight": f32([2, 64], next) });
    const patch = await patchOnnxWithLoras(model, [{ name: "u", stateDict: unetOnly, weight: 1 }], "text_encoder");
    expect(patch.patched).toEqual([]);
    expect(Buffer.compare(patch.bytes, model.bytes)).toBe(0);
  });
});

describe("loading ONNX parts with LoRAs through the model manager", () => {
  let pipeline: ModelConfigRecord;
  let kohyaLora: ModelConfigRecord;
  let peftLora: ModelConfigRecord;
  const lora = (config: ModelConfigRecord, weight: number): LoRAFieldValue => ({
    lora: {
      key: config.key,
      hash: config.hash,
      name: config.name,
      base: config.base,
      type: config.type,
      submodel_type: null,
    },
    weight,
  });

  beforeAll(async () => {
    pipeline = await f.manager.install.registerPath(join(SD15, "onnx"), { name: "tiny-onnx" });
    await writeFile(join(dir, "kohya-install.safetensors"), kohyaFile(kohyaLayers()));
    await writeFile(join(dir, "peft-install.safetensors"), peftFile(peftLayers()));
    // The tiny model's 32-wide text tokens tell no SD base apart, so the base is given (see the probe test below).
    const asSd1 = { type: "lora", base: "sd-1", format: "lycoris" };
    kohyaLora = await f.manager.install.installPath(join(dir, "kohya-install.safetensors"), {
      name: "kohya",
      ...asSd1,
    });
    peftLora = await f.manager.install.installPath(join(dir, "peft-install.safetensors"), { name: "peft", ...asSd1 });
  });

  it("the probe identifies the generated files as LoRAs (sd-1 at SD1.5's real widths)", async () => {
    const wide = (layers: Layer[]) =>
      layers.map((l) => {
        const next = random(9);
        const widen = (t: Tensor, dim: number) =>
          f32(
            t.shape.map((s, i) => (i === dim && s === 32 ? 768 : s)),
            next,
          );
        return { ...l, down: widen(l.down, 1), up: widen(l.up, 0) };
      });
    for (const [name, bytes] of [
      ["kohya-sd1.safetensors", kohyaFile(wide(kohyaLayers()))],
      ["peft-sd1.safetensors", peftFile(wide(peftLayers()))],
    ] as const) {
      await writeFile(join(dir, name), bytes);
      const found = await identifyModel(join(dir, name));
      expect(found.fields, name).toMatchObject({ type: "lora", format: "lycoris", base: "sd-1" });
    }
    // At the tiny width the probe still sees a LoRA, and says why it cannot tell the base.
    await writeFile(join(dir, "tiny.safetensors"), kohyaFile(kohyaLayers()));
    await expect(identifyModel(join(dir, "tiny.safetensors"))).rejects.toThrow(/LoRA trained on 32-wide text tokens/);
  });

  it("weight 0 gives the base output; a weight gives the output of the expected patched weights; the base stays", async () => {
    const models = createContextModels(f.manager);
    const unetId = {
      key: pipeline.key,
      hash: pipeline.hash,
      name: pipeline.name,
      base: pipeline.base,
      type: pipeline.type,
      submodel_type: "unet" as const,
    };
    const feeds = unetFeeds();
    const outputOf = async (loras: LoRAFieldValue[]) => {
      const loaded = await models.loadWithLoras!(unetId, loras, "unet");
      return loaded.use((m) => run((m as OnnxComponent).session, feeds, "out_sample"));
    };
    const base1 = await outputOf([]);
    const zero = await outputOf([lora(kohyaLora, 0)]);
    const both = await outputOf([lora(kohyaLora, 0.8), lora(peftLora, -1.25)]);
    const base2 = await outputOf([]);
    expect(same(zero, base1)).toBe(true);
    expect(same(both, base1)).toBe(false);
    expect(same(base2, base1)).toBe(true);

    // A session this test builds from its own expected weights gives exactly the same output.
    const model = await readOnnxModelFile(UNET_FILE);
    const expected = expectedWeights(unetBase, "unet", [
      { layers: kohyaLayers(), weight: 0.8 },
      { layers: peftLayers(), weight: -1.25 },
    ]);
    const session = await ort.InferenceSession.create(expectedModelBytes(model, unetBase, expected));
    expect(same(await run(session, feeds, "out_sample"), both)).toBe(true);
    await session.release();

    // Each LoRA set has its own cache entry beside the untouched base.
    const keys = f.manager.load.cache.keys();
    expect(keys).toContain(`${pipeline.key}:unet`);
    expect(keys).toContain(`${pipeline.key}:unet:lora=${kohyaLora.key}@0`);
    expect(keys).toContain(`${pipeline.key}:unet:lora=${kohyaLora.key}@0.8,${peftLora.key}@-1.25`);
    expect(keys).toContain(kohyaLora.key);
  });

  it("patches the text encoder with the text encoder layers", async () => {
    const models = createContextModels(f.manager);
    const teId = {
      key: pipeline.key,
      hash: pipeline.hash,
      name: pipeline.name,
      base: pipeline.base,
      type: pipeline.type,
      submodel_type: "text_encoder" as const,
    };
    const feeds = teFeeds();
    const loaded = await models.loadWithLoras!(teId, [lora(peftLora, 0.5)], "text_encoder");
    const got = await loaded.use((m) => run((m as OnnxComponent).session, feeds, "last_hidden_state"));
    const model = await readOnnxModelFile(TE_FILE);
    const expected = expectedWeights(teBase, "text_encoder", [{ layers: peftLayers(), weight: 0.5 }]);
    const session = await ort.InferenceSession.create(expectedModelBytes(model, teBase, expected));
    expect(same(await run(session, feeds, "last_hidden_state"), got)).toBe(true);
    const base = await (
      await models.load(teId)
    ).use((m) => run((m as OnnxComponent).session, feeds, "last_hidden_state"));
    expect(same(base, got)).toBe(false);
    await session.release();
  });

  it("refuses a LoRA given twice, a non-LoRA model as a LoRA, and LoRAs on a non-ONNX model", async () => {
    const models = createContextModels(f.manager);
    const unetId = {
      key: pipeline.key,
      hash: pipeline.hash,
      name: pipeline.name,
      base: pipeline.base,
      type: pipeline.type,
      submodel_type: "unet" as const,
    };
    await expect(models.loadWithLoras!(unetId, [lora(kohyaLora, 1), lora(kohyaLora, 0.5)], "unet")).rejects.toThrow(
      /LoRA kohya .* is given twice/,
    );
    await expect(models.loadWithLoras!(unetId, [lora(pipeline, 1)], "unet")).rejects.toThrow(
      /is a main model, not a LoRA/,
    );
    await writeFile(join(dir, "sdxl-lora.safetensors"), kohyaFile(kohyaLayers().slice(0, 1)));
    const sdxlLora = await f.manager.install.installPath(join(dir, "sdxl-lora.safetensors"), {
      name: "for-sdxl",
      type: "lora",
      base: "sdxl",
      format: "lycoris",
    });
    await expect(models.loadWithLoras!(unetId, [lora(sdxlLora, 1)], "unet")).rejects.toThrow(
      /LoRA for-sdxl .* is for sdxl models, this one is sd-1/,
    );
    const diffusers = await f.manager.install.registerPath(join(SD15, "diffusers"), { name: "tiny-diffusers" });
    await expect(
      models.loadWithLoras!({ ...unetId, key: diffusers.key, name: diffusers.name }, [lora(kohyaLora, 1)], "unet"),
    ).rejects.toThrow(/LoRAs merge into ONNX models only; this model's format is diffusers/);
  });
});
