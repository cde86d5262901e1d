/**
 * Text embeddings of a parsed Compel prompt, computed the way Compel's `EmbeddingsProvider` does with InvokeAI's
 * settings (`truncate_long_prompts=False`). Works through any CLIP tokenizer and any row encoder, so the SD1.5 and
 * SDXL prompt nodes share it.
 *
 * The weighting rule (Compel `get_embeddings_for_weighted_prompt_fragments` / `build_weighted_embedding_tensor`):
 * 1. Each fragment is tokenized on its own (no framing); the ids are concatenated, cut into chunks of 75, and each
 *    chunk framed `[bos] … [eos]` and padded to 77; framing and padding tokens have weight 1.
 * 2. Every chunk is encoded; with `E` the encoding of the empty prompt `[bos, eos, pad…]`, token row t becomes
 *    `E_t + (Z_t − E_t)·w_t`. So weight 1 leaves a row as it is, weight > 1 pushes it away from the empty prompt.
 * 3. For each fragment with weight w < 1 (in order) the prompt *without that fragment* is encoded the same way and
 *    mixed in with lerp weight `tan((1 − max(w, 1e-5))·π/2)` next to weight 1 for the full prompt, normalised by
 *    the sum: w = 0.5 gives the midpoint, w → 0 the prompt without the fragment. (Compel's default `MASK` mode masks
 *    the fragment's tokens with the attention mask instead of removing them; ONNX CLIP exports take no attention
 *    mask, so this is Compel's `REMOVE` mode. When removal makes the prompt one chunk shorter, the missing chunk is
 *    the empty prompt's encoding, as Compel pads conditionings.)
 * 4. `.blend(w…)`: conditionings padded to one length with empty-prompt chunks, summed with weights (divided by
 *    their sum unless `no_normalize`). `.and(w…)`: each part `E + (C − E)·w` (E padded to C's length), then
 *    concatenated along the token axis.
 */
import { AtelierError } from "@atelier/core";
import { parseCompelPrompt, type FlatPrompt, type PromptConjunction, type PromptFragment } from "./compel-syntax.js";

/** The tokenizer calls the weighting needs (the engine's TextTokenizer has them). */
export interface CompelTokenizer {
  /** Content ids of a text, without framing, truncation or padding. */
  encode(text: string): number[];
  /** Framed and padded ids (used here for the empty prompt, which reveals bos, eos, pad and the row length). */
  tokenize(text: string): { readonly ids: readonly number[]; readonly untruncatedLength: number };
}

/** Runs a text encoder on one framed row of ids; returns its embeddings, `[row length × hidden]` row-major. */
export type EncodeTokenRow = (ids: readonly number[]) => Promise<Float32Array>;

/** Embeddings of a prompt: `tokens` rows (a multiple of 77) of `hidden` values. */
export interface PromptEmbeddings {
  readonly data: Float32Array;
  readonly tokens: number;
  readonly hidden: number;
}

/** A tokenizer that cannot drive Compel's weighting (no `encode`, or not `[bos] … [eos]` framing). */
export class PromptTokenizerUnsupportedError extends AtelierError {
  constructor(what: string, problem: string) {
    super("prompt_tokenizer_unsupported", `${what}: ${problem}`, { status: 422, details: { what } });
  }
}

/** Checks that a tokenizer has the calls Compel's weighting needs; a typed error naming `what` otherwise. */
export function asCompelTokenizer(tokenizer: unknown, what: string): CompelTokenizer {
  const t = tokenizer as Partial<CompelTokenizer> | null;
  if (typeof t?.encode !== "function" || typeof t.tokenize !== "function") {
    throw new PromptTokenizerUnsupportedError(what, "cannot tokenize prompt fragments (no encode())");
  }
  return t as CompelTokenizer;
}

interface Frame {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly rowLength: number;
}

/** Embeddings as `tokens × hidden` in float64 while they are combined. */
interface Rows {
  readonly data: Float64Array;
  readonly tokens: number;
}

class CompelEncoder {
  private readonly cache = new Map<string, Promise<Float32Array>>();
  readonly frame: Frame;

  constructor(
    private readonly tokenizer: CompelTokenizer,
    private readonly encodeRow: EncodeTokenRow,
  ) {
    const empty = tokenizer.tokenize("");
    const [bos, eos, pad = eos] = empty.ids;
    if (empty.untruncatedLength !== 2 || bos === undefined || eos === undefined) {
      throw new PromptTokenizerUnsupportedError("prompt tokenizer", "does not frame prompts as [bos] … [eos] (CLIP)");
    }
    this.frame = { bos, eos, pad, rowLength: empty.ids.length };
  }

  /** One row's embeddings, encoded once per distinct row. */
  row(ids: readonly number[]): Promise<Float32Array> {
    const key = ids.join(",");
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.encodeRow(ids);
      this.cache.set(key, found);
    }
    return found;
  }

  emptyRow(): Promise<Float32Array> {
    const { bos, eos, pad, rowLength } = this.frame;
    return this.row([bos, eos, ...Array<number>(rowLength - 2).fill(pad)]);
  }

  /** Compel's chunking: fragments tokenized separately, concatenated, chunks of 75 framed and padded. */
  chunk(fragments: readonly PromptFragment[]): { ids: number[][]; weights: number[][] } {
    const { bos, eos, pad, rowLength } = this.frame;
    const content: number[] = [];
    const contentWeights: number[] = [];
    for (const f of fragments) {
      const ids = this.tokenizer.encode(f.text);
      content.push(...ids);
      for (let i = 0; i < ids.length; i++) contentWeights.push(f.weight);
    }
    const size = rowLength - 2;
    const ids: number[][] = [];
    const weights: number[][] = [];
    for (let start = 0; start === 0 || start < content.length; start += size) {
      const part = content.slice(start, start + size);
      const padding = rowLength - part.length - 2;
      ids.push([bos, ...part, eos, ...Array<number>(padding).fill(pad)]);
      weights.push([1, ...contentWeights.slice(start, start + size), 1, ...Array<number>(padding).fill(1)]);
    }
    return { ids, weights };
  }

  /** Step 2 of the rule: each token row scaled away from the empty prompt's row by its weight. */
  async weighted(fragments: readonly PromptFragment[]): Promise<Rows> {
    const { ids, weights } = this.chunk(fragments);
    const empty = await this.emptyRow();
    const rowLength = this.frame.rowLength;
    const hidden = empty.length / rowLength;
    const data = new Float64Array(ids.length * rowLength * hidden);
    for (let c = 0; c < ids.length; c++) {
      const z = await this.row(ids[c] as number[]);
      const w = weights[c] as number[];
      for (let t = 0; t < rowLength; t++) {
        const wt = w[t] as number;
        for (let h = 0; h < hidden; h++) {
          const i = t * hidden + h;
          const e = empty[i] as number;
          // Weight 1 keeps the encoder's value bit for bit (no float round trip through E).
          data[(c * rowLength + t) * hidden + h] = wt === 1 ? (z[i] as number) : e + ((z[i] as number) - e) * wt;
        }
      }
    }
    return { data, tokens: ids.length * rowLength };
  }

  /** `rows` extended to `tokens` with empty-prompt chunks (Compel's pad_conditioning_tensors_to_same_length). */
  async padded(rows: Rows, tokens: number): Promise<Rows> {
    if (rows.tokens >= tokens) return rows;
    const empty = await this.emptyRow();
    const hidden = empty.length / this.frame.rowLength;
    const data = new Float64Array(tokens * hidden);
    data.set(rows.data);
    for (let at = rows.tokens * hidden; at < data.length; at += empty.length) data.set(empty, at);
    return { data, tokens };
  }

  /** Steps 1–3 for one flattened prompt. */
  async flat(prompt: FlatPrompt): Promise<Rows> {
    const fragments = prompt.fragments;
    const base = await this.weighted(fragments);
    const parts: Rows[] = [base];
    const lerp: number[] = [1];
    for (let i = 0; i < fragments.length; i++) {
      const weight = (fragments[i] as PromptFragment).weight;
      if (!(weight < 1)) continue;
      const without = await this.weighted([...fragments.slice(0, i), ...fragments.slice(i + 1)]);
      parts.push(await this.padded(without, base.tokens));
      lerp.push(Math.tan((1 - Math.max(1e-5, weight)) * (Math.PI / 2)));
    }
    return mix(parts, lerp, true);
  }

  /** Step 4: the whole conjunction. */
  async conjunction(conjunction: PromptConjunction): Promise<Rows> {
    const pieces: Rows[] = [];
    for (let k = 0; k < conjunction.prompts.length; k++) {
      const part = conjunction.prompts[k] as PromptConjunction["prompts"][number];
      let rows: Rows;
      if (part.kind === "prompt") rows = await this.flat(part);
      else {
        const each: Rows[] = [];
        for (const p of part.prompts) each.push(await this.flat(p));
        const longest = Math.max(...each.map((r) => r.tokens));
        const same = await Promise.all(each.map((r) => this.padded(r, longest)));
        rows = mix(same, part.weights, part.normalize);
      }
      const weight = conjunction.weights[k] ?? 1;
      if (weight !== 1) {
        const empty = await this.padded({ data: new Float64Array(0), tokens: 0 }, rows.tokens);
        const e = empty.data;
        rows = {
          data: rows.data.map((v, i) => (e[i] as number) + (v - (e[i] as number)) * weight),
          tokens: rows.tokens,
        };
      }
      pieces.push(rows);
    }
    const tokens = pieces.reduce((n, r) => n + r.tokens, 0);
    const data = new Float64Array(pieces.reduce((n, r) => n + r.data.length, 0));
    let at = 0;
    for (const r of pieces) {
      data.set(r.data, at);
      at += r.data.length;
    }
    return { data, tokens };
  }
}

function mix(parts: readonly Rows[], weights: readonly number[], normalize: boolean): Rows {
  const first = parts[0] as Rows;
  if (parts.length === 1 && weights[0] === 1) return first;
  const sum = normalize ? weights.reduce((a, b) => a + b, 0) : 1;
  const data = new Float64Array(first.data.length);
  parts.forEach((p, k) => {
    const w = (weights[k] as number) / sum;
    for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) + (p.data[i] as number) * w;
  });
  return { data, tokens: first.tokens };
}

/** Embeddings of a parsed prompt through `tokenizer` and `encodeRow`, by Compel's rules (see the module comment). */
export async function encodeCompelConjunction(
  conjunction: PromptConjunction,
  tokenizer: CompelTokenizer,
  encodeRow: EncodeTokenRow,
): Promise<PromptEmbeddings> {
  const encoder = new CompelEncoder(tokenizer, encodeRow);
  const rows = await encoder.conjunction(conjunction);
  return { data: Float32Array.from(rows.data), tokens: rows.tokens, hidden: rows.data.length / rows.tokens };
}

/** Parses `prompt` with Compel's syntax and encodes it (see {@link encodeCompelConjunction}). */
export function encodeCompelPrompt(
  prompt: string,
  tokenizer: CompelTokenizer,
  encodeRow: EncodeTokenRow,
): Promise<PromptEmbeddings> {
  return encodeCompelConjunction(parseCompelPrompt(prompt), tokenizer, encodeRow);
}
