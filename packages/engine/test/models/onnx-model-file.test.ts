// The ONNX reader against the tiny SD1.5 export: every initializer it locates must hold exactly the weights of the
// diffusers model it was exported from (named ones as they are, MatMul ones transposed), which checks offsets,
// dims and the module index at once.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, toFloat32 } from "@atelier/core";
import {
  externalDataPath,
  indexOnnxWeights,
  ldmUnetModuleToDiffusers,
  OnnxFormatError,
  parseOnnxModel,
  readInitializerFloats,
  readOnnxModelFile,
  writeInitializerFloats,
} from "@atelier/engine";

const SD15 = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion/tiny-sd15");

async function diffusersWeights(
  part: string,
  file: string,
): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>> {
  const decoded = decodeSafetensors(new Uint8Array(await readFile(join(SD15, "diffusers", part, file)))).tensors;
  return new Map(Object.entries(decoded).map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t).data }]));
}

/** Index of the first element that differs (bit-exact compare), or -1; far cheaper than a deep toEqual. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

describe("ONNX model file reader", () => {
  it("locates every UNet weight: named Conv/Gemm weights as is, MatMul weights transposed, by module path", async () => {
    const model = await readOnnxModelFile(join(SD15, "onnx/unet/model.onnx"));
    const weights = await diffusersWeights("unet", "diffusion_pytorch_model.safetensors");
    const index = indexOnnxWeights(model);
    let checked = 0;
    for (const [name, w] of weights) {
      if (!name.endsWith(".weight") || w.shape.length < 2) continue;
      const module = name.slice(0, -".weight".length);
      const found = index.find(module);
      expect(found, module).toBeDefined();
      expect(found!.torchShape, module).toEqual(w.shape);
      const values = readInitializerFloats(model, found!.initializer);
      const expected = found!.layout === "torch" ? w.data : transpose(w.data, w.shape[0]!, w.shape[1]!);
      expect(firstDifference(values, expected), module).toBe(-1);
      // kohya's flattened spelling reaches the same weight.
      expect(index.findFlat(module.replaceAll(".", "_"))).toBe(found);
      checked++;
    }
    // Every 2-D+ weight of the tiny UNet (convs, linears, attention projections) except normalisation layers.
    expect(checked).toBeGreaterThan(100);
    expect(index.find("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q")!.layout).toBe("transposed");
    expect(index.find("down_blocks.0.resnets.0.time_emb_proj")!.layout).toBe("torch");
    // A suffix that several modules share names none of them.
    expect(index.find("proj_in")).toBeUndefined();
  });

  it("reads the CLIP text encoder, whose export roots at text_model", async () => {
    const model = await readOnnxModelFile(join(SD15, "onnx/text_encoder/model.onnx"));
    const weights = await diffusersWeights("text_encoder", "model.safetensors");
    const index = indexOnnxWeights(model);
    const q = weights.get("text_model.encoder.layers.1.self_attn.q_proj.weight")!;
    const found = index.find("encoder.layers.1.self_attn.q_proj")!;
    expect(found.layout).toBe("transposed");
    expect(firstDifference(readInitializerFloats(model, found.initializer), transpose(q.data, 32, 32))).toBe(-1);
    expect(found.module.endsWith("encoder.layers.1.self_attn.q_proj")).toBe(true);
  });

  it("writes values in place without changing the file's size or other bytes", async () => {
    const model = await readOnnxModelFile(join(SD15, "onnx/text_encoder/model.onnx"));
    const init = indexOnnxWeights(model).find("encoder.layers.0.mlp.fc1")!.initializer;
    const copy = new Uint8Array(model.bytes);
    const values = Float32Array.from({ length: 32 * 37 }, (_, i) => i / 7);
    writeInitializerFloats(model, init, values, copy);
    expect(copy.length).toBe(model.bytes.length);
    const reread = parseOnnxModel(copy, "copy");
    const again = reread.initializers.find((i) => i.name === init.name)!;
    expect(firstDifference(readInitializerFloats(reread, again), values)).toBe(-1);
    let differing = 0;
    for (let i = 0; i < copy.length; i++) if (copy[i] !== model.bytes[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThanOrEqual(32 * 37 * 4);
    // The original bytes are untouched.
    expect(firstDifference(readInitializerFloats(model, init), values)).not.toBe(-1);
  });

  it("reads external-data initializers (data_location EXTERNAL) from their file", () => {
    // A hand-made ModelProto: ir_version 8, graph { initializer { dims 2 dims 3 data_type 1 name "w"
    // external_data {location "w.bin"} external_data {offset "8"} data_location EXTERNAL } }.
    const tensor = [0x08, 2, 0x08, 3, 0x10, 1, 0x42, 1, 0x77];
    const entry = (k: string, v: string) => {
      const kb = [...Buffer.from(k)];
      const vb = [...Buffer.from(v)];
      const body = [0x0a, kb.length, ...kb, 0x12, vb.length, ...vb];
      return [0x6a, body.length, ...body];
    };
    const full = [...tensor, ...entry("location", "w.bin"), ...entry("offset", "8"), 0x70, 1];
    const graph = [0x2a, full.length, ...full];
    const bytes = new Uint8Array([0x08, 8, 0x3a, graph.length, ...graph]);
    const model = parseOnnxModel(bytes, "/models/x/model.onnx");
    const init = model.initializers[0]!;
    expect(init).toMatchObject({ name: "w", dims: [2, 3], dataType: 1 });
    expect(init.data).toEqual({ kind: "external", location: "w.bin", offset: 8, byteLength: -1 });
    const file = new Uint8Array(8 + 24);
    new Float32Array(file.buffer, 8, 6).set([1, 2, 3, 4, 5, 6]);
    expect(Array.from(readInitializerFloats(model, init, file))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(externalDataPath(model, "w.bin")).toBe("/models/x/w.bin");
    expect(() => externalDataPath(model, "../../etc/passwd")).toThrow(OnnxFormatError);
  });

  it("refuses bytes that are not an ONNX model, with a typed error", () => {
    expect(() => parseOnnxModel(new Uint8Array([0x08, 1]), "x.onnx")).toThrow(
      /Cannot read ONNX model x.onnx: it has no graph/,
    );
    expect(() => parseOnnxModel(new Uint8Array([0x3a, 50, 1, 2]), "y.onnx")).toThrow(OnnxFormatError);
  });

  it("maps LDM UNet names to diffusers names", () => {
    expect(ldmUnetModuleToDiffusers("input_blocks_1_1_transformer_blocks_0_attn1_to_q", "_")).toBe(
      "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
    );
    expect(ldmUnetModuleToDiffusers("input_blocks.5.0.emb_layers.1", ".")).toBe(
      "down_blocks.1.resnets.1.time_emb_proj",
    );
    expect(ldmUnetModuleToDiffusers("input_blocks_3_0_op", "_")).toBe("down_blocks_0_downsamplers_0_conv");
    expect(ldmUnetModuleToDiffusers("middle_block_1_proj_in", "_")).toBe("mid_block_attentions_0_proj_in");
    expect(ldmUnetModuleToDiffusers("middle_block.2.out_layers.3", ".")).toBe("mid_block.resnets.1.conv2");
    expect(ldmUnetModuleToDiffusers("output_blocks_4_1_proj_out", "_")).toBe("up_blocks_1_attentions_1_proj_out");
    expect(ldmUnetModuleToDiffusers("output_blocks.2.1.conv", ".")).toBe("up_blocks.0.upsamplers.0.conv");
    expect(ldmUnetModuleToDiffusers("time_embed_0", "_")).toBe("time_embedding_linear_1");
    expect(ldmUnetModuleToDiffusers("down_blocks_0_attentions_0_proj_in", "_")).toBeUndefined();
  });
});
