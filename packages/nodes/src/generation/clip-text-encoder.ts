/**
 * Running an ONNX CLIP text encoder on one row of token ids, with CLIP skip. InvokeAI applies CLIP skip by dropping
 * the last N transformer layers, so SD1.5's prompt embeddings become `final_layer_norm(hidden_states[L − N])`. An
 * ONNX export only has the intermediate states when it was exported with `hidden_states.K` outputs; it never has the
 * final LayerNorm's weights as an output, so they are recovered from the same run: `last_hidden_state` is
 * `LN(hidden_states[L])`, an exact per-channel affine map of the normalised `hidden_states[L]`, whose scale and
 * shift a least-squares fit over the row's tokens gives back (checked by its residual).
 */
import { GenerationModelError } from "./generation-errors.js";
import { firstInput, firstOutputName, intFeed, outputFloat32, type OnnxPart } from "./onnx-parts.js";
import type { EncodeTokenRow } from "./compel-embeddings.js";

/** How many layers the encoder's `hidden_states.K` outputs describe (K = 0 is the embeddings), or 0 if none. */
export function hiddenStateLayers(part: OnnxPart): number {
  let layers = 0;
  for (const name of part.session.outputNames) {
    const m = /^hidden_states\.(\d+)$/.exec(name);
    if (m !== null) layers = Math.max(layers, Number(m[1]));
  }
  return layers;
}

/** Normalises each token row of `x` (`tokens × hidden`) to zero mean and unit variance (LayerNorm without affine). */
function normalizeRows(x: Float32Array, tokens: number, hidden: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < tokens; t++) {
    let mean = 0;
    for (let h = 0; h < hidden; h++) mean += x[t * hidden + h] as number;
    mean /= hidden;
    let variance = 0;
    for (let h = 0; h < hidden; h++) variance += ((x[t * hidden + h] as number) - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / hidden + eps);
    for (let h = 0; h < hidden; h++) out[t * hidden + h] = ((x[t * hidden + h] as number) - mean) * scale;
  }
  return out;
}

/** The final LayerNorm's per-channel scale and shift, fitted from `normalized → last` over the tokens. */
function fitAffine(
  normalized: Float64Array,
  last: Float32Array,
  tokens: number,
  hidden: number,
  what: string,
): { gamma: Float64Array; beta: Float64Array } {
  const gamma = new Float64Array(hidden);
  const beta = new Float64Array(hidden);
  let worst = 0;
  let largest = 0;
  for (let h = 0; h < hidden; h++) {
    let mn = 0;
    let my = 0;
    for (let t = 0; t < tokens; t++) {
      mn += normalized[t * hidden + h] as number;
      my += last[t * hidden + h] as number;
    }
    mn /= tokens;
    my /= tokens;
    let cov = 0;
    let varN = 0;
    for (let t = 0; t < tokens; t++) {
      const dn = (normalized[t * hidden + h] as number) - mn;
      cov += dn * ((last[t * hidden + h] as number) - my);
      varN += dn * dn;
    }
    const g = varN > 0 ? cov / varN : 0;
    gamma[h] = g;
    beta[h] = my - g * mn;
    for (let t = 0; t < tokens; t++) {
      const y = last[t * hidden + h] as number;
      worst = Math.max(worst, Math.abs(g * (normalized[t * hidden + h] as number) + (beta[h] as number) - y));
      largest = Math.max(largest, Math.abs(y));
    }
  }
  if (!(worst <= 1e-3 * (1 + largest))) {
    throw new GenerationModelError(
      what,
      "CLIP skip: last_hidden_state is not a LayerNorm of the last hidden_states output, so the final LayerNorm " +
        `cannot be recovered (residual ${worst.toExponential(2)})`,
    );
  }
  return { gamma, beta };
}

/**
 * Which embeddings a CLIP prompt encoder returns: SD1.5's `final` (last_hidden_state, i.e. the final LayerNorm of the
 * last layer) or SDXL's `penultimate` (the hidden state before the last layer, without LayerNorm).
 */
export type ClipEmbeddingLayer = "final" | "penultimate";

/**
 * A row encoder over an ONNX CLIP text encoder: `final` gives `last_hidden_state`, or with `skippedLayers` > 0 the
 * final LayerNorm of the hidden state that many layers earlier; `penultimate` gives `hidden_states[L − 1 − skipped]`.
 * A typed error naming the model when the export lacks the outputs that needs.
 */
export function clipRowEncoder(
  part: OnnxPart,
  skippedLayers: number,
  modelName: string,
  layer: ClipEmbeddingLayer = "final",
): EncodeTokenRow {
  const ids = firstInput(part, ["input_ids"]);
  const run = async (row: readonly number[]) => part.session.run({ [ids.name]: intFeed(ids, [1, row.length], row) });
  const layers = hiddenStateLayers(part);
  if (layer === "penultimate") {
    const index = layers - 1 - Math.max(0, skippedLayers);
    if (layers === 0 || index < 0) {
      throw new GenerationModelError(
        `text encoder of model ${modelName}`,
        `the penultimate hidden state (skipped_layers ${skippedLayers}) needs hidden_states.N outputs of more ` +
          `layers than this export has (outputs: ${part.session.outputNames.join(", ")})`,
        { skipped_layers: skippedLayers },
      );
    }
    return async (row) => outputFloat32(part, await run(row), `hidden_states.${index}`).data;
  }
  const lastName = firstOutputName(part, ["last_hidden_state"]);
  if (skippedLayers <= 0) return async (row) => outputFloat32(part, await run(row), lastName).data;

  if (layers === 0) {
    throw new GenerationModelError(
      `text encoder of model ${modelName}`,
      `CLIP skip (skipped_layers ${skippedLayers}) needs the intermediate layers, but this ONNX export has no ` +
        `hidden_states.N outputs (outputs: ${part.session.outputNames.join(", ")}); export the text encoder with ` +
        "its hidden states, or set skipped_layers to 0",
      { skipped_layers: skippedLayers },
    );
  }
  if (skippedLayers >= layers) {
    throw new GenerationModelError(
      `text encoder of model ${modelName}`,
      `CLIP skip: skipped_layers ${skippedLayers} must be less than the encoder's ${layers} layers`,
      { skipped_layers: skippedLayers, layers },
    );
  }
  const eps = typeof part.config?.layer_norm_eps === "number" ? part.config.layer_norm_eps : 1e-5;
  const what = `text encoder of model ${modelName}`;
  let affine: { gamma: Float64Array; beta: Float64Array } | null = null;
  return async (row) => {
    const outputs = await run(row);
    const last = outputFloat32(part, outputs, lastName);
    const tokens = last.dims[1] ?? row.length;
    const hidden = last.data.length / tokens;
    if (affine === null) {
      const top = outputFloat32(part, outputs, `hidden_states.${layers}`).data;
      affine = fitAffine(normalizeRows(top, tokens, hidden, eps), last.data, tokens, hidden, what);
    }
    const { gamma, beta } = affine;
    const skipped = outputFloat32(part, outputs, `hidden_states.${layers - skippedLayers}`).data;
    const normalized = normalizeRows(skipped, tokens, hidden, eps);
    return Float32Array.from(normalized, (v, i) => v * (gamma[i % hidden] as number) + (beta[i % hidden] as number));
  };
}
