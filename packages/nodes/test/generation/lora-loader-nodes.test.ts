// The LoRA nodes: schemas against InvokeAI's openapi.json, what they append, the errors they raise, and SD1.5
// text-to-image with a LoRA through the real queue. The LoRA run is checked against the same graph on a second
// pipeline whose UNet and text encoder files this test patched itself with the weights it expects
// (W' = fp32(W + weight·alpha/rank · up@down)): both must give the same latents and image, bit for bit.
import { existsSync, readFileSync } from "node:fs";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildComponentSchemas,
  decodeSafetensors,
  encodeSafetensors,
  toFloat32,
  type JsonSchema,
  type ModelIdentifierFieldValue,
  type Tensor,
} from "@atelier/core";
import { parseOnnxModel, readInitializerFloats, writeInitializerFloats, type OnnxModelFile } from "@atelier/engine";
import { LORA_NODES } from "../../src/generation/lora-loader-nodes.js";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  type DiffusionHarness,
  type FinishedItem,
} from "../support/diffusion-fixtures.js";

const OPENAPI = fileURLToPath(new URL("../../../../../shared/invokeai/openapi.json", import.meta.url));

type Schemas = Record<string, JsonSchema>;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function byType(schemas: Schemas, cls: "invocation" | "output"): Map<string, JsonSchema> {
  const map = new Map<string, JsonSchema>();
  for (const schema of Object.values(schemas)) {
    if (schema.class !== cls) continue;
    map.set(String((schema.properties as Record<string, JsonSchema>).type.default), schema);
  }
  return map;
}

const refName = (ref: unknown): string =>
  String((ref as { $ref: string }).$ref)
    .split("/")
    .pop()!;

describe.runIf(existsSync(OPENAPI))("LoRA node schemas match InvokeAI's openapi.json", () => {
  const reference = (JSON.parse(readFileSync(OPENAPI, "utf8")) as { components: { schemas: Schemas } }).components
    .schemas;
  const refNodes = byType(reference, "invocation");
  const ours = buildComponentSchemas({ list: () => [...LORA_NODES], listOutputs: () => [] });
  const ourNodes = byType(ours, "invocation");

  for (const def of LORA_NODES) {
    it(def.type, () => {
      const theirs = refNodes.get(def.type);
      expect(theirs, `${def.type} is not in openapi.json`).toBeDefined();
      const mine = ourNodes.get(def.type)!;
      for (const attr of ["title", "category", "version", "classification", "node_pack", "tags", "description"]) {
        expect(mine[attr], `${def.type}.${attr}`).toEqual(theirs![attr]);
      }
      expect(mine.required, `${def.type} required`).toEqual(theirs!.required);
      const myProps = mine.properties as Record<string, JsonSchema>;
      const theirProps = theirs!.properties as Record<string, JsonSchema>;
      expect(Object.keys(myProps).sort(), `${def.type} field names`).toEqual(Object.keys(theirProps).sort());
      for (const [field, prop] of Object.entries(myProps)) {
        expect(sortKeys(prop), `${def.type}.${field}`).toEqual(sortKeys(theirProps[field]));
      }
      const myOutput = ours[refName(mine.output)]!;
      const theirOutput = reference[refName(theirs!.output)]!;
      expect(sortKeys(myOutput.properties), `${def.type} output`).toEqual(sortKeys(theirOutput.properties));
    });
  }
});

// ---- A kohya LoRA for the tiny SD1.5 UNet and text encoder, and the weights it should give ----

/** mulberry32: a small seeded generator, so the LoRA file is the same on every run. */
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

interface Layer {
  part: "unet" | "text_encoder";
  module: string;
  down: Float32Array;
  up: Float32Array;
  rank: number;
  inner: number;
  out: number;
  alpha: number;
}

function layers(): Layer[] {
  const next = random(11);
  const layer = (part: Layer["part"], module: string, out: number, inner: number, alpha: number): Layer => {
    const rank = 4;
    return {
      part,
      module,
      rank,
      inner,
      out,
      alpha,
      down: Float32Array.from({ length: rank * inner }, next),
      up: Float32Array.from({ length: out * rank }, next),
    };
  };
  return [
    layer("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k", 32, 32, 2),
    layer("unet", "up_blocks.1.attentions.1.transformer_blocks.0.attn1.to_v", 32, 32, 4),
    layer("unet", "mid_block.attentions.0.proj_in", 64, 64, 8),
    layer("text_encoder", "text_model.encoder.layers.1.self_attn.v_proj", 32, 32, 2),
  ];
}

function kohyaFile(metadata?: Record<string, string>): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const l of layers()) {
    const name = `${l.part === "unet" ? "lora_unet" : "lora_te"}_${l.module.replaceAll(".", "_")}`;
    const conv = l.module.endsWith("proj_in");
    tensors[`${name}.lora_down.weight`] = {
      dtype: "float32",
      shape: conv ? [l.rank, l.inner, 1, 1] : [l.rank, l.inner],
      data: l.down,
    };
    tensors[`${name}.lora_up.weight`] = {
      dtype: "float32",
      shape: conv ? [l.out, l.rank, 1, 1] : [l.out, l.rank],
      data: l.up,
    };
    tensors[`${name}.alpha`] = { dtype: "float32", shape: [], data: Float32Array.of(l.alpha) };
  }
  return encodeSafetensors(tensors, metadata);
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The part's ONNX bytes with this test's expected merged weights written where the base weights are. */
async function expectedPartBytes(part: Layer["part"], weight: number): Promise<Uint8Array> {
  const [folder, file] =
    part === "unet" ? ["unet", "diffusion_pytorch_model.safetensors"] : ["text_encoder", "model.safetensors"];
  const base = decodeSafetensors(
    new Uint8Array(await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sd15/diffusers", folder, file))),
  ).tensors;
  const model: OnnxModelFile = parseOnnxModel(
    new Uint8Array(await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx", part, "model.onnx"))),
    part,
  );
  const bytes = new Uint8Array(model.bytes);
  for (const l of layers().filter((x) => x.part === part)) {
    const w = Float32Array.from(toFloat32(base[`${l.module}.weight`]!).data);
    const scale = (weight * l.alpha) / l.rank;
    for (let o = 0; o < l.out; o++) {
      for (let j = 0; j < l.inner; j++) {
        let sum = 0;
        for (let r = 0; r < l.rank; r++) sum += l.up[o * l.rank + r]! * l.down[r * l.inner + j]!;
        w[o * l.inner + j] = Math.fround(w[o * l.inner + j]! + scale * sum);
      }
    }
    // The initializer holding the base weight, found by value (as is for convs, transposed for MatMuls).
    const baseW = toFloat32(base[`${l.module}.weight`]!).data;
    const baseT = transpose(baseW, l.out, l.inner);
    const init = model.initializers.find((i) => {
      if (i.dataType !== 1 || i.dims.reduce((a, b) => a * b, 1) !== baseW.length) return false;
      const v = readInitializerFloats(model, i);
      return same(v, baseW) || same(v, baseT);
    })!;
    const transposed = same(readInitializerFloats(model, init), baseT) && !same(baseW, baseT);
    writeInitializerFloats(model, init, transposed ? transpose(w, l.out, l.inner) : w, bytes);
  }
  return bytes;
}

// ---- Runs through the queue ----

let h: DiffusionHarness;
let pipeline: ModelIdentifierFieldValue;
let expectedPipeline: ModelIdentifierFieldValue;
let lora: ModelIdentifierFieldValue;
let otherLora: ModelIdentifierFieldValue;
const WEIGHT = 0.9;

beforeAll(async () => {
  h = await openDiffusionHarness("atelier-lora-");
  pipeline = await h.install("tiny-sd15");
  const asSd1Lora = { type: "lora", base: "sd-1", format: "lycoris" };
  const install = async (name: string, bytes: Uint8Array): Promise<ModelIdentifierFieldValue> => {
    const file = path.join(h.root, `${name}.safetensors`);
    await writeFile(file, bytes);
    // The tiny model's 32-wide tokens tell no SD base apart, so the probe needs the base given.
    const c = await h.services.models.install.installPath(file, { name, ...asSd1Lora });
    return { key: c.key, hash: c.hash, name: c.name, base: c.base, type: c.type, submodel_type: null };
  };
  lora = await install("tiny-kohya", kohyaFile());
  // Same layers, other bytes (a metadata entry): a second install of "the same" LoRA.
  otherLora = await install("tiny-kohya-copy", kohyaFile({ copy: "1" }));
  // The same pipeline with this test's expected weights in its UNet and text encoder files.
  const folder = path.join(h.root, "incoming", "expected-sd15");
  await cp(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx"), folder, { recursive: true });
  for (const part of ["unet", "text_encoder"] as const) {
    const file = path.join(folder, part, "model.onnx");
    const bytes = await expectedPartBytes(part, WEIGHT);
    await rm(file, { force: true });
    await writeFile(file, bytes);
  }
  const c = await h.services.models.install.installPath(folder, { name: "expected-sd15" });
  expectedPipeline = { key: c.key, hash: c.hash, name: c.name, base: c.base, type: c.type, submodel_type: null };
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** main_model_loader → [LoRA nodes] → compel ×2 → noise → denoise_latents → l2i. */
function text2image(
  model: ModelIdentifierFieldValue,
  loraNodes: Record<string, Record<string, unknown>>,
  loraEdges: Record<string, unknown>[],
  from: string,
): Record<string, unknown> {
  return {
    id: "lora-t2i",
    nodes: {
      loader: { id: "loader", type: "main_model_loader", model },
      ...loraNodes,
      pos: { id: "pos", type: "compel", prompt: "a tiny red fox" },
      neg: { id: "neg", type: "compel", prompt: "" },
      noise: { id: "noise", type: "noise", seed: 5, width: 64, height: 64 },
      denoise: { id: "denoise", type: "denoise_latents", steps: 3, cfg_scale: 5, scheduler: "euler" },
      decode: { id: "decode", type: "l2i" },
    },
    edges: [
      ...loraEdges,
      edge(from, "clip", "pos", "clip"),
      edge(from, "clip", "neg", "clip"),
      edge(from, "unet", "denoise", "unet"),
      edge("loader", "vae", "decode", "vae"),
      edge("pos", "conditioning", "denoise", "positive_conditioning"),
      edge("neg", "conditioning", "denoise", "negative_conditioning"),
      edge("noise", "noise", "denoise", "noise"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

async function outputsOf(item: FinishedItem): Promise<{ latents: Float32Array; image: Uint8Array | Float32Array }> {
  expect(item.error_message ?? null).toBeNull();
  expect(item.status).toBe("completed");
  const latentsName = (resultOf(item, "denoise").latents as { latents_name: string }).latents_name;
  const imageName = (resultOf(item, "decode").image as { image_name: string }).image_name;
  const latents = toFloat32(await h.services.tensors.load(latentsName)).data;
  const image = (await h.services.images.getImage(imageName, "RGB")).data as Uint8Array;
  return { latents, image };
}

describe("SD1.5 text-to-image with a LoRA through the queue", () => {
  it("lora_loader's run equals the run on a pipeline holding the expected merged weights, and differs from the base", async () => {
    const loraNode = { id: "lora", type: "lora_loader", lora, weight: WEIGHT };
    const withLora = await outputsOf(
      await runGraph(
        h.rt,
        text2image(
          pipeline,
          { lora: loraNode },
          [edge("loader", "unet", "lora", "unet"), edge("loader", "clip", "lora", "clip")],
          "lora",
        ),
      ),
    );
    const expected = await outputsOf(await runGraph(h.rt, text2image(expectedPipeline, {}, [], "loader")));
    const base = await outputsOf(await runGraph(h.rt, text2image(pipeline, {}, [], "loader")));
    expect(same(withLora.latents, expected.latents)).toBe(true);
    expect(same(withLora.image, expected.image)).toBe(true);
    expect(same(withLora.latents, base.latents)).toBe(false);
    // The base pipeline's cache entries stayed as they were: a second base run after the LoRA run is the same.
    const keys = h.services.models.load.cache.keys();
    expect(keys).toContain(`${pipeline.key}:unet:lora=${lora.key}@${WEIGHT}`);
    expect(keys).toContain(`${pipeline.key}:text_encoder:lora=${lora.key}@${WEIGHT}`);
    expect(keys).toContain(`${pipeline.key}:unet`);
  }, 120_000);

  it("lora_selector → lora_collection_loader gives the same run as lora_loader", async () => {
    const nodes = {
      select: { id: "select", type: "lora_selector", lora, weight: WEIGHT },
      collection: { id: "collection", type: "lora_collection_loader" },
    };
    const edges = [
      edge("select", "lora", "collection", "loras"),
      edge("loader", "unet", "collection", "unet"),
      edge("loader", "clip", "collection", "clip"),
    ];
    const item = await runGraph(h.rt, text2image(pipeline, nodes, edges, "collection"));
    const viaCollection = await outputsOf(item);
    const expected = await outputsOf(await runGraph(h.rt, text2image(expectedPipeline, {}, [], "loader")));
    expect(same(viaCollection.latents, expected.latents)).toBe(true);
    expect(resultOf(item, "select")).toMatchObject({
      type: "lora_selector_output",
      lora: { lora: { key: lora.key }, weight: WEIGHT },
    });
  }, 120_000);

  it("appends without changing the input, and refuses the same LoRA twice as InvokeAI does", async () => {
    const graph = {
      id: "twice",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model: pipeline },
        first: { id: "first", type: "lora_loader", lora, weight: 0.5 },
        second: { id: "second", type: "lora_loader", lora: otherLora, weight: 0.25 },
        third: { id: "third", type: "lora_loader", lora, weight: 1 },
      },
      edges: [
        edge("loader", "unet", "first", "unet"),
        edge("loader", "clip", "first", "clip"),
        edge("first", "unet", "second", "unet"),
        edge("second", "unet", "third", "unet"),
      ],
    };
    const item = await runGraph(h.rt, graph);
    expect(item.status).toBe("failed");
    expect(item.error_message).toMatch(/lora_loader.*third.*LoRA tiny-kohya \(.*\) is already applied to unet/);
    expect(resultOf(item, "loader")).toMatchObject({ unet: { loras: [] }, clip: { loras: [] } });
    const first = resultOf(item, "first") as { unet: { loras: unknown[] }; clip: { loras: unknown[] } };
    expect(first.unet.loras).toEqual([{ lora, weight: 0.5 }]);
    expect(first.clip.loras).toEqual([{ lora, weight: 0.5 }]);
    // No CLIP came into `second`: its clip output is null, the UNet carries both LoRAs in order.
    expect(resultOf(item, "second")).toMatchObject({
      clip: null,
      unet: {
        loras: [
          { lora: { key: lora.key }, weight: 0.5 },
          { lora: { key: otherLora.key }, weight: 0.25 },
        ],
      },
    });
  }, 60_000);

  it("a generation node refuses a model field that carries the same LoRA twice", async () => {
    const clip = {
      tokenizer: { ...pipeline, submodel_type: "tokenizer" },
      text_encoder: { ...pipeline, submodel_type: "text_encoder" },
      skipped_layers: 0,
      loras: [
        { lora, weight: 1 },
        { lora, weight: 0.5 },
      ],
    };
    const item = await runGraph(h.rt, {
      id: "dup",
      nodes: { pos: { id: "pos", type: "compel", prompt: "x", clip } },
      edges: [],
    });
    expect(item.status).toBe("failed");
    expect(item.error_message).toMatch(
      /text_encoder of model tiny-sd15-onnx: LoRA tiny-kohya \(.*\) is applied more than once/,
    );
  }, 60_000);

  it("sdxl_lora_loader and flux_lora_loader append to every model field they get", async () => {
    const clip = { tokenizer: pipeline, text_encoder: pipeline, skipped_layers: 0, loras: [] };
    const graph = {
      id: "others",
      nodes: {
        sdxl: { id: "sdxl", type: "sdxl_lora_loader", lora, weight: 0.3, clip, clip2: clip },
        flux: {
          id: "flux",
          type: "flux_lora_loader",
          lora,
          weight: 0.6,
          transformer: { transformer: pipeline, loras: [{ lora: otherLora, weight: 1 }] },
          t5_encoder: { tokenizer: pipeline, text_encoder: pipeline, loras: [] },
        },
      },
      edges: [],
    };
    const item = await runGraph(h.rt, graph);
    expect(item.error_message ?? null).toBeNull();
    expect(resultOf(item, "sdxl")).toMatchObject({
      unet: null,
      clip: { loras: [{ lora: { key: lora.key }, weight: 0.3 }] },
      clip2: { loras: [{ lora: { key: lora.key }, weight: 0.3 }] },
    });
    expect(resultOf(item, "flux")).toMatchObject({
      clip: null,
      transformer: { loras: [{ lora: { key: otherLora.key } }, { lora: { key: lora.key }, weight: 0.6 }] },
      t5_encoder: { loras: [{ lora: { key: lora.key }, weight: 0.6 }] },
    });
  }, 60_000);
});
