/**
 * Extra graph outputs for ONNX CLIP text encoders. CLIP skip (and SDXL's penultimate layer) needs the encoder's
 * intermediate hidden states, but most exports (optimum's included) only output `last_hidden_state` and
 * `pooler_output`. The states are still computed inside the graph: `hidden_states.0` is the embeddings' sum and
 * `hidden_states.K` the residual sum that ends layer K−1. This adds an Identity node and a graph output named
 * `hidden_states.K` for each, so the session returns them as an export with hidden states would.
 *
 * Protobuf fields may be appended to a message in any order, so the new nodes and outputs are appended to the
 * GraphProto; only the graph's length prefix in the ModelProto changes.
 */
import { OnnxFormatError } from "./onnx-errors.js";
import { parseOnnxModel, type OnnxNode } from "./onnx-model-file.js";
import { WireType, wireFields } from "./protobuf-wire.js";

// The node names torch.onnx gives CLIP's modules: `<prefix>/embeddings/Add` and `<prefix>/encoder/layers.N/Add_1`
// (Add is the attention residual, Add_1 the MLP residual that ends the layer).
const EMBEDDINGS = /(?:^|\/)embeddings\/Add$/;
const LAYER_END = /(?:^|\/)encoder\/layers\.(\d+)\/Add_1$/;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: readonly number[]): number[] {
  return [...varint((field << 3) | WireType.lengthDelimited), ...varint(payload.length), ...payload];
}

function varintField(field: number, value: number): number[] {
  return [...varint((field << 3) | WireType.varint), ...varint(value)];
}

const encoder = new TextEncoder();
const text = (field: number, value: string): number[] => lengthDelimited(field, [...encoder.encode(value)]);

/** NodeProto { input, output, name, op_type: Identity }. */
function identityNode(input: string, output: string): number[] {
  return [...text(1, input), ...text(2, output), ...text(3, `atelier_${output}`), ...text(4, "Identity")];
}

/** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type } } }. */
function tensorOutput(name: string, elemType: number): number[] {
  return [...text(1, name), ...lengthDelimited(2, lengthDelimited(1, varintField(1, elemType)))];
}

/** The tensor names of hidden_states.0 … hidden_states.L in a CLIP text encoder graph, or null when not found. */
export function clipHiddenStateTensors(nodes: readonly OnnxNode[]): string[] | null {
  const embeddings = nodes.find((n) => n.opType === "Add" && EMBEDDINGS.test(n.name));
  const layers = new Map<number, string>();
  for (const node of nodes) {
    const m = node.opType === "Add" ? LAYER_END.exec(node.name) : null;
    if (m !== null && node.outputs[0] !== undefined) layers.set(Number(m[1]), node.outputs[0]);
  }
  if (embeddings?.outputs[0] === undefined || layers.size === 0) return null;
  const states = [embeddings.outputs[0]];
  for (let i = 0; i < layers.size; i++) {
    const state = layers.get(i);
    if (state === undefined) return null; // layer numbers with a gap: not the graph this expects
    states.push(state);
  }
  return states;
}

/**
 * A copy of a CLIP text encoder model with `hidden_states.K` outputs added, or null when it already has them, keeps
 * weights in external data files (a session made from bytes could not find them), or its graph is not laid out as
 * torch.onnx exports CLIP. The outputs take the element type of the token embedding (float or float16).
 */
export function withClipHiddenStates(bytes: Uint8Array, source: string): Uint8Array | null {
  const model = parseOnnxModel(bytes, source);
  if (model.nodes.some((n) => n.outputs.some((o) => /^hidden_states\.\d+$/.test(o)))) return null;
  if (model.initializers.some((i) => i.data.kind === "external")) return null;
  const elemType = model.initializers.find((i) => i.name.endsWith("token_embedding.weight"))?.dataType ?? 1;
  const states = clipHiddenStateTensors(model.nodes);
  if (states === null) return null;
  let graph: { tagStart: number; start: number; end: number } | undefined;
  let tagStart = 0;
  for (const f of wireFields(bytes, 0, bytes.length, source)) {
    if (f.field === 7 && f.wireType === WireType.lengthDelimited) graph = { tagStart, start: f.start, end: f.end };
    tagStart = f.end;
  }
  if (graph === undefined) throw new OnnxFormatError(source, "it has no graph");
  const appended: number[] = [];
  states.forEach((tensor, k) => appended.push(...lengthDelimited(1, identityNode(tensor, `hidden_states.${k}`))));
  states.forEach((_, k) => appended.push(...lengthDelimited(12, tensorOutput(`hidden_states.${k}`, elemType))));
  const header = [...varint((7 << 3) | WireType.lengthDelimited), ...varint(graph.end - graph.start + appended.length)];
  const out = new Uint8Array(
    graph.tagStart + header.length + (graph.end - graph.start) + appended.length + (bytes.length - graph.end),
  );
  let pos = 0;
  out.set(bytes.subarray(0, graph.tagStart), pos);
  pos += graph.tagStart;
  out.set(header, pos);
  pos += header.length;
  out.set(bytes.subarray(graph.start, graph.end), pos);
  pos += graph.end - graph.start;
  out.set(appended, pos);
  pos += appended.length;
  out.set(bytes.subarray(graph.end), pos);
  return out;
}
