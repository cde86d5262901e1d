// Weighted prompts through the `compel` node on the tiny SD1.5 ONNX pipeline (installed through the model manager,
// run through the queue), checked against the rule in compel-embeddings.ts computed here independently: the text
// encoder run directly with onnxruntime on token ids from the engine's tokenizer. Also CLIP skip: LN(hidden_states[L − N])
// where the export has the hidden states (the SDXL fixture's first text encoder) and where the loader adds them
// (the SD1.5 fixture), with the LayerNorm weights read from the diffusers checkpoint.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors, toFloat32, type ModelIdentifierFieldValue, type Tensor } from "@atelier/core";
import { loadTokenizer, withClipHiddenStates, type TextTokenizer } from "@atelier/engine";
import { clipRowEncoder } from "../../src/generation/clip-text-encoder.js";
import { asOnnxPart, type OnnxSessionLike } from "../../src/generation/onnx-parts.js";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  worstExcess,
  type DiffusionHarness,
  type FinishedItem,
} from "../support/diffusion-fixtures.js";

const HIDDEN = 32;
const ROW = 77;

let harness: DiffusionHarness;
let sd15: ModelIdentifierFieldValue;
let sdxl: ModelIdentifierFieldValue;
let tokenizer: TextTokenizer;
let encoder: ort.InferenceSession;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-compel-");
  sd15 = await harness.install("tiny-sd15");
  sdxl = await harness.install("tiny-sdxl");
  tokenizer = await loadTokenizer(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/tokenizer"));
  encoder = await ort.InferenceSession.create(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/text_encoder/model.onnx"));
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function runSession(
  session: ort.InferenceSession,
  ids: readonly number[],
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const input = new ort.Tensor(
    "int64",
    BigInt64Array.from(ids, (v) => BigInt(v)),
    [1, ids.length],
  );
  return session.run({ input_ids: input });
}

/** last_hidden_state of one framed row, from the text encoder run directly. */
async function encodeRow(ids: readonly number[]): Promise<Float32Array> {
  return (await runSession(encoder, ids)).last_hidden_state!.data as Float32Array;
}

const plainRow = (text: string): number[] => tokenizer.tokenize(text).ids;
const contentLength = (text: string): number => tokenizer.encode(text).length;

/** Runs one compel node per prompt (all from one loader) and returns each stored embeddings tensor. */
async function compelEmbeddings(prompts: readonly string[]): Promise<Tensor<"float32">[]> {
  const nodes: Record<string, unknown> = { loader: { id: "loader", type: "main_model_loader", model: sd15 } };
  const edges: Record<string, unknown>[] = [];
  prompts.forEach((prompt, i) => {
    nodes[`p${i}`] = { id: `p${i}`, type: "compel", prompt };
    edges.push(edge("loader", "clip", `p${i}`, "clip"));
  });
  const item = await runGraph(harness.rt, { id: "compel-weights", nodes, edges });
  expect(item.error_message ?? null).toBeNull();
  const out: Tensor<"float32">[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const { conditioning_name } = resultOf(item, `p${i}`).conditioning as { conditioning_name: string };
    const data = await harness.services.conditioning.load(conditioning_name);
    const first = data.conditionings[0] as { kind: string; embeds: Tensor };
    expect(first.kind).toBe("basic");
    out.push(toFloat32(first.embeds));
  }
  return out;
}

/** `E + (Z − E)·w` on rows [from, to) of a row's embeddings, other rows unchanged. */
function scaleRows(z: Float32Array, empty: Float32Array, from: number, to: number, w: number): Float32Array {
  return z.map((v, i) => {
    const t = Math.floor(i / HIDDEN);
    return t >= from && t < to ? empty[i]! + (v - empty[i]!) * w : v;
  });
}

const concat = (...parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe("compel weighting on the tiny SD1.5 text encoder", () => {
  let empty: Float32Array;
  beforeAll(async () => {
    empty = await encodeRow(plainRow(""));
  });

  it("plain, weight-1.0, up-weighted and down-weighted prompts follow Compel's rule", async () => {
    const prompts = ["a red cat on a mat", "(a red cat on a mat)1.0", "a red (cat)1.5 on a mat", "a red cat- on a mat"];
    const [plain, one, up, down] = await compelEmbeddings(prompts);
    const z = await encodeRow(plainRow(prompts[0]!));
    expect(plain!.shape).toEqual([1, ROW, HIDDEN]);
    expect(worstExcess(plain!.data, z, 1e-6, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(one!.data, z, 1e-6, 0)).toBeLessThanOrEqual(0);

    // Only the rows of "cat" move: 1 (bos) + tokens of "a red" … + tokens of "cat".
    const from = 1 + contentLength("a red");
    const to = from + contentLength("cat");
    expect(to).toBeGreaterThan(from);
    const expectedUp = scaleRows(z, empty, from, to, 1.5);
    expect(worstExcess(up!.data, expectedUp, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
    let moved = 0;
    for (let i = 0; i < z.length; i++) if (Math.abs(up!.data[i]! - z[i]!) > 1e-4) moved++;
    expect(moved).toBeGreaterThan(0);
    for (let i = 0; i < z.length; i++) {
      const t = Math.floor(i / HIDDEN);
      if (t < from || t >= to) expect(Math.abs(up!.data[i]! - z[i]!)).toBeLessThan(1e-6);
    }

    // Weight 0.9 < 1: the scaled prompt lerped with the prompt without "cat", lerp weight tan(0.1·π/2).
    const base = scaleRows(z, empty, from, to, 0.9);
    const without = await encodeRow(plainRow("a red on a mat"));
    const lerp = Math.tan(0.1 * (Math.PI / 2));
    const expectedDown = base.map((v, i) => (v + lerp * without[i]!) / (1 + lerp));
    expect(worstExcess(down!.data, expectedDown, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
  }, 60_000);

  it(".blend() mixes, .and() concatenates with the conjunction weight applied from the empty prompt", async () => {
    const [blend, and] = await compelEmbeddings([
      '("a red cat", "a blue dog").blend(1, 3)',
      '("a red cat", "a blue dog").and(1, 0.5)',
    ]);
    const cat = await encodeRow(plainRow("a red cat"));
    const dog = await encodeRow(plainRow("a blue dog"));
    expect(
      worstExcess(
        blend!.data,
        cat.map((v, i) => (v + 3 * dog[i]!) / 4),
        1e-5,
        1e-5,
      ),
    ).toBeLessThanOrEqual(0);
    expect(and!.shape).toEqual([1, 2 * ROW, HIDDEN]);
    const expectedAnd = concat(
      cat,
      dog.map((v, i) => empty[i]! + (v - empty[i]!) * 0.5),
    );
    expect(worstExcess(and!.data, expectedAnd, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("encodes a prompt beyond 75 tokens in chunks of 77, as InvokeAI (no truncation)", async () => {
    const prompt = Array.from({ length: 60 }, (_, i) => `cat${i % 7} on a mat`).join(" ");
    const rows = tokenizer.tokenizeChunks(prompt);
    expect(rows.length).toBeGreaterThan(1);
    const [long] = await compelEmbeddings([prompt]);
    expect(long!.shape).toEqual([1, rows.length * ROW, HIDDEN]);
    const expected = concat(...(await Promise.all(rows.map((r) => encodeRow(r)))));
    expect(worstExcess(long!.data, expected, 1e-6, 0)).toBeLessThanOrEqual(0);
  }, 60_000);
});

function clipGraph(model: ModelIdentifierFieldValue, skipped: number): Record<string, unknown> {
  const clip = {
    tokenizer: { ...model, submodel_type: "tokenizer" },
    text_encoder: { ...model, submodel_type: "text_encoder" },
    skipped_layers: 0,
    loras: [],
  };
  return {
    id: "clip-skip",
    nodes: {
      skip: { id: "skip", type: "clip_skip", clip, skipped_layers: skipped },
      prompt: { id: "prompt", type: "compel", prompt: "a red cat on a mat" },
    },
    edges: [edge("skip", "clip", "prompt", "clip")],
  };
}

async function embedsOf(item: FinishedItem): Promise<Float32Array> {
  const { conditioning_name } = resultOf(item, "prompt").conditioning as { conditioning_name: string };
  const data = await harness.services.conditioning.load(conditioning_name);
  return toFloat32((data.conditionings[0] as { embeds: Tensor }).embeds).data;
}

describe("compel prompt errors", () => {
  it("a prompt Compel rejects fails the node, naming the node, the field and the problem", async () => {
    const item = await runGraph(harness.rt, {
      id: "bad-prompt",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model: sd15 },
        p: { id: "p", type: "compel", prompt: '("a cat", "a dog").and(1)' },
      },
      edges: [edge("loader", "clip", "p", "clip")],
    });
    expect(item.status).toBe("failed");
    expect(item.error_message).toMatch(/compel.*prompt.*\.and\(\) has 2 prompts but 1 weights/);
  }, 60_000);
});

describe("CLIP skip", () => {
  it("adds the hidden states to an export without them, so CLIP skip works on the SD1.5 export too", async () => {
    const file = path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/text_encoder/model.onnx");
    const patched = withClipHiddenStates(new Uint8Array(await readFile(file)), file)!;
    const session = await ort.InferenceSession.create(patched);
    expect(session.outputNames).toEqual(
      expect.arrayContaining(["last_hidden_state", "hidden_states.0", "hidden_states.1", "hidden_states.2"]),
    );
    const ids = tokenizer.tokenize("a red cat on a mat").ids;
    const outputs = await runSession(session, ids);
    const weights = decodeSafetensors(
      new Uint8Array(
        await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sd15/diffusers/text_encoder/model.safetensors")),
      ),
    ).tensors;
    const w = (name: string) => toFloat32(weights[name]!).data;
    // hidden_states.0 is the embeddings: token + position rows, computed here from the diffusers weights.
    const tokens = w("text_model.embeddings.token_embedding.weight");
    const positions = w("text_model.embeddings.position_embedding.weight");
    const embedded = new Float32Array(ROW * HIDDEN);
    ids.forEach((id, t) => {
      for (let h = 0; h < HIDDEN; h++) embedded[t * HIDDEN + h] = tokens[id * HIDDEN + h]! + positions[t * HIDDEN + h]!;
    });
    expect(worstExcess(outputs["hidden_states.0"]!.data as Float32Array, embedded, 1e-6, 0)).toBeLessThanOrEqual(0);
    // The final LayerNorm of the last hidden state is last_hidden_state, as the unmodified export gives it.
    const layerNorm = (states: Float32Array): Float32Array => {
      const gamma = w("text_model.final_layer_norm.weight");
      const beta = w("text_model.final_layer_norm.bias");
      const out = new Float32Array(states.length);
      for (let t = 0; t < ROW; t++) {
        const row = states.subarray(t * HIDDEN, (t + 1) * HIDDEN);
        const mean = row.reduce((a, b) => a + b, 0) / HIDDEN;
        const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / HIDDEN;
        for (let h = 0; h < HIDDEN; h++)
          out[t * HIDDEN + h] = ((row[h]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[h]! + beta[h]!;
      }
      return out;
    };
    const plain = await runSession(encoder, ids);
    expect(
      worstExcess(
        layerNorm(outputs["hidden_states.2"]!.data as Float32Array),
        plain.last_hidden_state!.data as Float32Array,
        1e-4,
        1e-4,
      ),
    ).toBeLessThanOrEqual(0);
    await session.release();

    // Through the queue: compel with skipped_layers 1 on the installed SD1.5 export gives LN(hidden_states.1).
    const skipped = await runGraph(harness.rt, clipGraph(sd15, 1));
    expect(skipped.error_message ?? null).toBeNull();
    const expected = layerNorm(outputs["hidden_states.1"]!.data as Float32Array);
    expect(worstExcess(await embedsOf(skipped), expected, 1e-4, 1e-4)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("uses the final LayerNorm of hidden_states[L − N] where the export has them", async () => {
    const te = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sdxl/onnx/text_encoder/model.onnx"),
    );
    const ids = tokenizer.tokenize("a red cat on a mat").ids;
    const outputs = await runSession(te, ids);
    const weights = decodeSafetensors(
      new Uint8Array(
        await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sdxl/diffusers/text_encoder/model.safetensors")),
      ),
    ).tensors;
    const gamma = toFloat32(weights["text_model.final_layer_norm.weight"]!).data;
    const beta = toFloat32(weights["text_model.final_layer_norm.bias"]!).data;
    const h1 = outputs["hidden_states.1"]!.data as Float32Array;
    const expected = new Float32Array(h1.length);
    for (let t = 0; t < ROW; t++) {
      const row = h1.subarray(t * HIDDEN, (t + 1) * HIDDEN);
      const mean = row.reduce((a, b) => a + b, 0) / HIDDEN;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / HIDDEN;
      for (let h = 0; h < HIDDEN; h++)
        expected[t * HIDDEN + h] = ((row[h]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[h]! + beta[h]!;
    }
    const skipped = await runGraph(harness.rt, clipGraph(sdxl, 1));
    expect(skipped.error_message ?? null).toBeNull();
    expect(worstExcess(await embedsOf(skipped), expected, 1e-4, 1e-4)).toBeLessThanOrEqual(0);

    const none = await runGraph(harness.rt, clipGraph(sdxl, 0));
    const last = outputs.last_hidden_state!.data as Float32Array;
    expect(worstExcess(await embedsOf(none), last, 1e-6, 0)).toBeLessThanOrEqual(0);
    // Skipping a layer really changes the embeddings.
    expect(worstExcess(expected, last, 1e-2, 0)).toBeGreaterThan(0);
  }, 60_000);

  it("the penultimate layer (SDXL's choice) is hidden_states[L − 1 − skipped], refused when there is none", async () => {
    const te = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sdxl/onnx/text_encoder/model.onnx"),
    );
    const part = asOnnxPart({ session: te as unknown as OnnxSessionLike, config: null }, "sdxl text encoder");
    const ids = tokenizer.tokenize("a red cat").ids;
    const outputs = await runSession(te, ids);
    expect(await clipRowEncoder(part, 0, "tiny-sdxl", "penultimate")(ids)).toEqual(outputs["hidden_states.1"]!.data);
    expect(await clipRowEncoder(part, 1, "tiny-sdxl", "penultimate")(ids)).toEqual(outputs["hidden_states.0"]!.data);
    expect(() => clipRowEncoder(part, 2, "tiny-sdxl", "penultimate")).toThrow(/tiny-sdxl.*penultimate/);
  }, 60_000);
});
