// LoRA merging beyond the SD1.5 kohya/PEFT files: the SDXL and FLUX exports (lora_te1_/lora_te2_, PEFT
// transformer keys), a diffusers LoRA folder loaded through the model manager, and a model whose weights are in an
// external-data file. Expected weights come from the diffusers weights the exports were made from.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, toFloat32, type LoraPatchTarget, type Tensor } from "@atelier/core";
import {
  createContextModels,
  loadOnnxWithLoras,
  parseOnnxModel,
  patchOnnxWithLoras,
  readInitializerFloats,
  readOnnxModelFile,
  wireFields,
  WireType,
  type OnnxComponent,
  type OnnxModelFile,
} from "@atelier/engine";
import { managerFixture, type ManagerFixture } from "./support/model-manager-fixture.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

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

/** A rank-2 LoRA layer on a linear weight of shape [out, inner], with its key prefix spelled by the caller. */
function linearLayer(name: string, out: number, inner: number, next: () => number, style: "kohya" | "peft") {
  const down = f32([2, inner], next);
  const up = f32([out, 2], next);
  const tensors: Record<string, Tensor> =
    style === "kohya"
      ? { [`${name}.lora_down.weight`]: down, [`${name}.lora_up.weight`]: up }
      : { [`${name}.lora_A.weight`]: down, [`${name}.lora_B.weight`]: up };
  return { tensors, down: down.data, up: up.data };
}

/** W + weight · up@down (alpha = rank: scale = weight), in float64 then float32, torch layout. */
function merged(base: Float32Array, up: Float32Array, down: Float32Array, out: number, inner: number, weight: number) {
  const w = Float32Array.from(base);
  for (let o = 0; o < out; o++)
    for (let j = 0; j < inner; j++) {
      let sum = 0;
      for (let r = 0; r < 2; r++) sum += up[o * 2 + r]! * down[r * inner + j]!;
      w[o * inner + j] = Math.fround(w[o * inner + j]! + weight * sum);
    }
  return w;
}

/** The initializer holding `base` (torch [out, inner]) as is or transposed, found by value. */
function holder(model: OnnxModelFile, base: Float32Array, out: number, inner: number) {
  const t = transpose(base, out, inner);
  for (const init of model.initializers) {
    if (init.dataType !== 1 || init.dims.reduce((a, b) => a * b, 1) !== base.length) continue;
    const v = readInitializerFloats(model, init);
    if (same(v, base)) return { name: init.name, transposed: false };
    if (same(v, t)) return { name: init.name, transposed: true };
  }
  throw new Error("no initializer holds the weight");
}

const dict = (tensors: Record<string, Tensor>) => ({
  keys: () => Object.keys(tensors),
  get: async (k: string) => tensors[k]!,
});

describe("LoRA targets in the SDXL and FLUX exports", () => {
  const cases: {
    what: string;
    onnx: string;
    weights: string;
    target: LoraPatchTarget;
    layers: { key: string; module: string; style: "kohya" | "peft" }[];
  }[] = [
    {
      what: "SDXL text_encoder (lora_te1_)",
      onnx: "tiny-sdxl/onnx/text_encoder/model.onnx",
      weights: "tiny-sdxl/diffusers/text_encoder/model.safetensors",
      target: "text_encoder",
      layers: [
        {
          key: "lora_te1_text_model_encoder_layers_1_self_attn_k_proj",
          module: "text_model.encoder.layers.1.self_attn.k_proj",
          style: "kohya",
        },
      ],
    },
    {
      what: "SDXL text_encoder_2 (lora_te2_, text_encoder_2.)",
      onnx: "tiny-sdxl/onnx/text_encoder_2/model.onnx",
      weights: "tiny-sdxl/diffusers/text_encoder_2/model.safetensors",
      target: "text_encoder_2",
      layers: [
        {
          key: "lora_te2_text_model_encoder_layers_0_self_attn_q_proj",
          module: "text_model.encoder.layers.0.self_attn.q_proj",
          style: "kohya",
        },
        {
          key: "text_encoder_2.text_model.encoder.layers.1.mlp.fc2",
          module: "text_model.encoder.layers.1.mlp.fc2",
          style: "peft",
        },
      ],
    },
    {
      what: "SDXL unet (linear projections, two transformer layers)",
      onnx: "tiny-sdxl/onnx/unet/model.onnx",
      weights: "tiny-sdxl/diffusers/unet/diffusion_pytorch_model.safetensors",
      target: "unet",
      layers: [
        {
          key: "lora_unet_down_blocks_1_attentions_0_transformer_blocks_1_attn2_to_v",
          module: "down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_v",
          style: "kohya",
        },
        { key: "unet.down_blocks.1.attentions.0.proj_in", module: "down_blocks.1.attentions.0.proj_in", style: "peft" },
      ],
    },
    {
      what: "FLUX transformer (transformer.)",
      onnx: "tiny-flux/onnx/transformer/model.onnx",
      weights: "tiny-flux/diffusers/transformer/diffusion_pytorch_model.safetensors",
      target: "transformer",
      layers: [
        { key: "transformer.transformer_blocks.0.attn.to_q", module: "transformer_blocks.0.attn.to_q", style: "peft" },
        {
          key: "transformer.single_transformer_blocks.1.proj_out",
          module: "single_transformer_blocks.1.proj_out",
          style: "peft",
        },
        {
          key: "transformer.transformer_blocks.1.norm1.linear",
          module: "transformer_blocks.1.norm1.linear",
          style: "peft",
        },
      ],
    },
  ];

  for (const c of cases) {
    it(c.what, async () => {
      const model = await readOnnxModelFile(join(FIXTURES, c.onnx));
      const base = decodeSafetensors(new Uint8Array(await readFile(join(FIXTURES, c.weights)))).tensors;
      const next = random(c.what.length);
      const tensors: Record<string, Tensor> = {};
      const expected: { name: string; values: Float32Array }[] = [];
      for (const l of c.layers) {
        const w = base[`${l.module}.weight`]!;
        const [out, inner] = [w.shape[0]!, w.shape[1]!];
        const layer = linearLayer(l.key, out, inner, next, l.style);
        Object.assign(tensors, layer.tensors);
        const baseValues = toFloat32(w).data;
        const { name, transposed } = holder(model, baseValues, out, inner);
        const values = merged(baseValues, layer.up, layer.down, out, inner, 0.7);
        expected.push({ name, values: transposed ? transpose(values, out, inner) : values });
      }
      // A layer for another part is not applied here.
      Object.assign(
        tensors,
        linearLayer(c.target === "unet" ? "lora_te_elsewhere" : "lora_unet_elsewhere", 2, 2, next, "kohya").tensors,
      );
      const patch = await patchOnnxWithLoras(model, [{ name: "l", stateDict: dict(tensors), weight: 0.7 }], c.target);
      expect(patch.unmatched).toEqual([]);
      expect([...patch.patched].sort()).toEqual(expected.map((e) => e.name).sort());
      const patched = parseOnnxModel(patch.bytes, "patched");
      for (const e of expected) {
        const init = patched.initializers.find((i) => i.name === e.name)!;
        expect(same(readInitializerFloats(patched, init), e.values), e.name).toBe(true);
      }
    });
  }
});

// ---- A model with external data, made from the SD1.5 text encoder by moving its weights out of the file ----

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

const delimited = (field: number, bytes: ArrayLike<number>) => [
  ...varint((field << 3) | 2),
  ...varint(bytes.length),
  ...Array.from(bytes),
];
const text = (s: string) => Array.from(Buffer.from(s));

/** The message in bytes[start, end) with its fields re-encoded, `edit` replacing a field's encoding when it returns one. */
function rewrite(
  bytes: Uint8Array,
  start: number,
  end: number,
  edit: (f: ReturnType<typeof fieldsOf>[number]) => number[] | undefined,
): number[] {
  const out: number[] = [];
  for (const f of fieldsOf(bytes, start, end)) {
    const replaced = edit(f);
    if (replaced !== undefined) out.push(...replaced);
    else if (f.wireType === WireType.varint) out.push(...varint((f.field << 3) | 0), ...varint(f.varint));
    else if (f.wireType === WireType.lengthDelimited) out.push(...delimited(f.field, bytes.subarray(f.start, f.end)));
    else out.push(...varint((f.field << 3) | f.wireType), ...Array.from(bytes.subarray(f.start, f.end)));
  }
  return out;
}

function fieldsOf(bytes: Uint8Array, start: number, end: number) {
  return [...wireFields(bytes, start, end, "test")];
}

/** The model with every raw_data initializer moved to `weights.bin`; returns both files. */
function externalise(model: OnnxModelFile): { onnx: Uint8Array; data: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const tensor = (f: { start: number; end: number }) => {
    let raw: { start: number; end: number } | undefined;
    for (const t of fieldsOf(model.bytes, f.start, f.end)) if (t.field === 9) raw = t;
    if (raw === undefined) return undefined;
    const body = rewrite(model.bytes, f.start, f.end, (t) => (t.field === 9 ? [] : undefined));
    const length = raw.end - raw.start;
    const entry = (k: string, v: string) => delimited(13, [...delimited(1, text(k)), ...delimited(2, text(v))]);
    body.push(
      ...entry("location", "weights.bin"),
      ...entry("offset", String(offset)),
      ...entry("length", String(length)),
    );
    body.push(...varint((14 << 3) | 0), 1);
    chunks.push(model.bytes.subarray(raw.start, raw.end));
    offset += length;
    return delimited(5, body);
  };
  const onnx = rewrite(model.bytes, 0, model.bytes.length, (f) =>
    f.field === 7
      ? delimited(
          7,
          rewrite(model.bytes, f.start, f.end, (g) => (g.field === 5 ? tensor(g) : undefined)),
        )
      : undefined,
  );
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { onnx: Uint8Array.from(onnx), data };
}

let dir: string;
let f: ManagerFixture;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-onnx-lora-formats-"));
  f = await managerFixture({ overrides: { hashing_algorithm: "random" } });
});
afterAll(async () => {
  await f.dispose();
  await rm(dir, { recursive: true, force: true });
});

const ids = () =>
  new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i === 0 ? 998 : i < 5 ? 400 + i : 999)),
    [1, 77],
  );

async function embeddings(session: ort.InferenceSession): Promise<Float32Array> {
  const out = await session.run({ input_ids: ids() });
  return Float32Array.from(out.last_hidden_state!.data as Float32Array);
}

function teLora(): Record<string, Tensor> {
  const next = random(21);
  return {
    ...linearLayer("lora_te_text_model_encoder_layers_0_mlp_fc2", 32, 37, next, "kohya").tensors,
    ...linearLayer("lora_te_text_model_encoder_layers_1_self_attn_v_proj", 32, 32, next, "kohya").tensors,
  };
}

describe("external data and diffusers LoRA folders", () => {
  it("patches weights kept in an external-data file, leaving that file as it was", async () => {
    const file = join(FIXTURES, "tiny-sd15/onnx/text_encoder/model.onnx");
    const model = await readOnnxModelFile(file);
    const { onnx, data } = externalise(model);
    const folder = join(dir, "external");
    await mkdir(folder);
    await writeFile(join(folder, "model.onnx"), onnx);
    await writeFile(join(folder, "weights.bin"), data);
    const external = parseOnnxModel(onnx, join(folder, "model.onnx"));
    expect(external.initializers.filter((i) => i.data.kind === "external").length).toBeGreaterThan(10);
    expect(onnx.length).toBeLessThan(model.bytes.length / 2);

    const lora = { name: "te", stateDict: dict(teLora()), weight: 1.5 };
    const inline = await patchOnnxWithLoras(model, [lora], "text_encoder");
    const reference = await ort.InferenceSession.create(inline.bytes);
    const loaded = await loadOnnxWithLoras({
      file: join(folder, "model.onnx"),
      submodelType: "text_encoder",
      device: "cpu",
      loras: [lora],
      target: "text_encoder",
    });
    const got = await embeddings((loaded.model as OnnxComponent).session);
    expect(same(got, await embeddings(reference))).toBe(true);
    const base = await ort.InferenceSession.create(join(folder, "model.onnx"));
    expect(same(got, await embeddings(base))).toBe(false);
    expect(Buffer.compare(await readFile(join(folder, "weights.bin")), data)).toBe(0);
    // The component names the model the user has, not the temp copy the session was made from.
    expect((loaded.model as OnnxComponent).path).toBe(join(folder, "model.onnx"));
    await loaded.dispose?.();
    await Promise.all([reference.release(), base.release()]);
  });

  it("loads a diffusers LoRA folder (pytorch_lora_weights.safetensors) as the same LoRA as a single file", async () => {
    const pipeline = await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/onnx"), { name: "tiny" });
    const folder = join(dir, "diffusers-lora");
    await mkdir(folder);
    await writeFile(join(folder, "pytorch_lora_weights.safetensors"), encodeSafetensors(teLora()));
    await writeFile(join(dir, "single.safetensors"), encodeSafetensors(teLora(), { file: "single" }));
    const sd1 = { type: "lora", base: "sd-1" };
    const inFolder = await f.manager.install.installPath(folder, { name: "folder", ...sd1, format: "diffusers" });
    const single = await f.manager.install.installPath(join(dir, "single.safetensors"), {
      name: "single",
      ...sd1,
      format: "lycoris",
    });
    expect(inFolder).toMatchObject({ type: "lora", format: "diffusers" });
    const models = createContextModels(f.manager);
    const te = {
      key: pipeline.key,
      hash: pipeline.hash,
      name: "tiny",
      base: pipeline.base,
      type: pipeline.type,
      submodel_type: "text_encoder" as const,
    };
    const as = (c: { key: string; hash: string; name: string }) => ({
      lora: {
        key: c.key,
        hash: c.hash,
        name: c.name,
        base: "sd-1" as const,
        type: "lora" as const,
        submodel_type: null,
      },
      weight: 1,
    });
    const run = async (c: { key: string; hash: string; name: string }) =>
      (await models.loadWithLoras!(te, [as(c)], "text_encoder")).use((m) => embeddings((m as OnnxComponent).session));
    expect(same(await run(inFolder), await run(single))).toBe(true);
  });
});
