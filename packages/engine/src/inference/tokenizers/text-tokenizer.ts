/**
 * A text tokenizer built from a Hugging Face `tokenizer.json` (plus `tokenizer_config.json` /
 * `special_tokens_map.json` for pad token and max length): CLIP's byte-level BPE and T5's sentencepiece unigram.
 * Adds the model's framing (CLIP: BOS … EOS, T5: … `</s>`), truncates keeping the framing, pads to max length.
 */
import { splitOnAddedTokens, parseAddedTokens, type AddedToken } from "./added-tokens.js";
import { BpeModel } from "./bpe-model.js";
import { asRecord, buildNormalizer, type Normalizer } from "./normalizers.js";
import { buildPreTokenizer, type PreTokenizer } from "./pre-tokenizers.js";
import { TokenizerLoadError, TokenizerUsageError } from "./tokenizer-errors.js";
import { UnigramModel, type UnigramPiece } from "./unigram-model.js";

/** How `tokenize` shapes its output. */
export interface TokenizeOptions {
  /** Total length including the framing tokens; default: the tokenizer's `model_max_length`. */
  readonly maxLength?: number;
  /** Cut the content so the framed sequence fits `maxLength` (default true). */
  readonly truncation?: boolean;
  /** Pad with the pad token up to `maxLength` (default true). */
  readonly padding?: boolean;
}

/** Result of `tokenize`. */
export interface TokenizedText {
  /** Framed, truncated and padded ids. */
  readonly ids: number[];
  /** 1 for real tokens (framing included), 0 for padding. */
  readonly attentionMask: number[];
  /** Framed length before truncation (what diffusers warns about beyond 77). */
  readonly untruncatedLength: number;
  readonly truncated: boolean;
}

/** Side files that complete tokenizer.json. */
export interface TokenizerSideConfig {
  readonly tokenizerConfig?: unknown;
  readonly specialTokensMap?: unknown;
}

type FramePart = { readonly kind: "sequence" } | { readonly kind: "token"; readonly id: number };

/** A tokenizer.json-driven tokenizer (BPE or Unigram model). */
export class TextTokenizer {
  /** `BPE` (CLIP) or `Unigram` (T5). */
  readonly modelType: "BPE" | "Unigram";
  /** Default total length (77 for CLIP, 512 for FLUX's T5). */
  readonly modelMaxLength: number;
  /** Id used for padding. */
  readonly padId: number;
  /** Number of framing tokens around the content (CLIP 2, T5 1). */
  readonly framingLength: number;

  private readonly normalizer: Normalizer;
  private readonly preTokenizer: PreTokenizer;
  private readonly addedTokens: AddedToken[];
  private readonly encodePiece: (piece: string) => number[];
  private readonly frame: FramePart[];
  private readonly tokenIds: ReadonlyMap<string, number>;

  /** Builds a tokenizer from parsed tokenizer.json and its side files; `source` names the files in errors. */
  static fromJson(tokenizerJson: unknown, side: TokenizerSideConfig = {}, source = "tokenizer.json"): TextTokenizer {
    return new TextTokenizer(tokenizerJson, side, source);
  }

  private constructor(tokenizerJson: unknown, side: TokenizerSideConfig, source: string) {
    const root = asRecord(tokenizerJson, source);
    const model = asRecord(root.model, `${source} model`);
    this.addedTokens = parseAddedTokens(root.added_tokens);
    const ids = new Map<string, number>();
    if (model.type === "BPE") {
      this.modelType = "BPE";
      const vocab = asRecord(model.vocab, `${source} model.vocab`);
      for (const [token, id] of Object.entries(vocab)) if (typeof id === "number") ids.set(token, id);
      const merges = parseMerges(model.merges, source);
      const unk = typeof model.unk_token === "string" ? ids.get(model.unk_token) : undefined;
      const suffix = typeof model.end_of_word_suffix === "string" ? model.end_of_word_suffix : "";
      const bpe = new BpeModel(ids, merges, unk, suffix);
      this.encodePiece = (piece) => bpe.encodeWord([...piece]);
    } else if (model.type === "Unigram") {
      this.modelType = "Unigram";
      if (!Array.isArray(model.vocab))
        throw new TokenizerLoadError(`${source}: Unigram vocab must be a list`, { source });
      const vocab: UnigramPiece[] = model.vocab.map((entry: unknown, i: number) => {
        if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number") {
          throw new TokenizerLoadError(`${source}: Unigram vocab entry ${i} is not [piece, score]`, {
            source,
            index: i,
          });
        }
        return [entry[0], entry[1]] as const;
      });
      vocab.forEach(([piece], id) => {
        if (!ids.has(piece)) ids.set(piece, id);
      });
      const unkId = typeof model.unk_id === "number" ? model.unk_id : 0;
      const unigram = new UnigramModel(vocab, unkId, model.fuse_unk !== false);
      this.encodePiece = (piece) => unigram.encode(piece);
    } else {
      throw new TokenizerLoadError(
        `${source}: unsupported tokenizer model ${JSON.stringify(model.type)} (BPE, Unigram)`,
        {
          source,
          type: model.type,
        },
      );
    }
    for (const t of this.addedTokens) ids.set(t.content, t.id);
    this.tokenIds = ids;
    this.normalizer = buildNormalizer(root.normalizer);
    this.preTokenizer = buildPreTokenizer(root.pre_tokenizer);
    this.frame = parseFrame(root.post_processor, ids, source);
    this.framingLength = this.frame.filter((p) => p.kind === "token").length;

    const config = side.tokenizerConfig === undefined ? {} : asRecord(side.tokenizerConfig, "tokenizer_config.json");
    const specials =
      side.specialTokensMap === undefined ? {} : asRecord(side.specialTokensMap, "special_tokens_map.json");
    const maxLength = typeof config.model_max_length === "number" ? config.model_max_length : undefined;
    // Some configs say 1e30 ("no limit"); a tokenizer without a real limit falls back to 512.
    this.modelMaxLength = maxLength !== undefined && maxLength < 1_000_000 ? maxLength : 512;
    const padToken = tokenContent(config.pad_token) ?? tokenContent(specials.pad_token) ?? tokenContent(root.padding);
    const eosToken = tokenContent(config.eos_token) ?? tokenContent(specials.eos_token);
    const padId = padToken !== undefined ? ids.get(padToken) : undefined;
    const fallbackPad = eosToken !== undefined ? ids.get(eosToken) : undefined;
    if (padId === undefined && fallbackPad === undefined) {
      throw new TokenizerLoadError(`${source}: no pad token (tokenizer_config.json pad_token) resolves to an id`, {
        source,
        pad_token: padToken,
      });
    }
    this.padId = padId ?? (fallbackPad as number);
  }

  /** Id of a token string (vocabulary or added token), if it exists. */
  tokenToId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  /** Content ids of `text`, without framing, truncation or padding. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const segment of splitOnAddedTokens(text, this.addedTokens)) {
      if (segment.kind === "token") {
        out.push(segment.id);
        continue;
      }
      const normalized = this.normalizer(segment.text);
      for (const piece of this.preTokenizer([normalized])) out.push(...this.encodePiece(piece));
    }
    return out;
  }

  /** Framed ids as the text encoder takes them (diffusers' `padding="max_length", truncation=True`). */
  tokenize(text: string, options: TokenizeOptions = {}): TokenizedText {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (!Number.isInteger(maxLength) || maxLength < this.framingLength) {
      throw new TokenizerUsageError(`maxLength ${maxLength} cannot hold the ${this.framingLength} framing tokens`, {
        maxLength,
      });
    }
    const content = this.encode(text);
    const untruncatedLength = content.length + this.framingLength;
    const truncate = options.truncation !== false && untruncatedLength > maxLength;
    const kept = truncate ? content.slice(0, maxLength - this.framingLength) : content;
    const ids = this.applyFrame(kept);
    const attentionMask = ids.map(() => 1);
    if (options.padding !== false) {
      while (ids.length < maxLength) {
        ids.push(this.padId);
        attentionMask.push(0);
      }
    }
    return { ids, attentionMask, untruncatedLength, truncated: truncate };
  }

  /**
   * Long prompts as InvokeAI (Compel) feeds them: the content split into chunks of `maxLength − framing` tokens
   * (75 for CLIP), each framed and padded to `maxLength`. An empty text gives one framed, empty chunk.
   */
  tokenizeChunks(text: string, options: { readonly maxLength?: number } = {}): number[][] {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const chunkSize = maxLength - this.framingLength;
    if (!Number.isInteger(maxLength) || chunkSize < 1) {
      throw new TokenizerUsageError(`maxLength ${maxLength} leaves no room for content after the framing tokens`, {
        maxLength,
      });
    }
    const content = this.encode(text);
    const chunks: number[][] = [];
    for (let start = 0; start === 0 || start < content.length; start += chunkSize) {
      const ids = this.applyFrame(content.slice(start, start + chunkSize));
      while (ids.length < maxLength) ids.push(this.padId);
      chunks.push(ids);
    }
    return chunks;
  }

  private applyFrame(content: readonly number[]): number[] {
    const out: number[] = [];
    for (const part of this.frame) {
      if (part.kind === "sequence") out.push(...content);
      else out.push(part.id);
    }
    return out;
  }
}

function parseMerges(raw: unknown, source: string): [string, string][] {
  if (!Array.isArray(raw)) throw new TokenizerLoadError(`${source}: BPE merges must be a list`, { source });
  return raw.map((entry: unknown, i: number) => {
    if (typeof entry === "string") {
      const space = entry.indexOf(" ");
      if (space > 0) return [entry.slice(0, space), entry.slice(space + 1)];
    } else if (Array.isArray(entry) && typeof entry[0] === "string" && typeof entry[1] === "string") {
      return [entry[0], entry[1]];
    }
    throw new TokenizerLoadError(`${source}: BPE merge ${i} is not a pair`, { source, index: i });
  });
}

// The single-sequence template of the post-processor: where the content goes and which special ids surround it.
function parseFrame(spec: unknown, ids: ReadonlyMap<string, number>, source: string): FramePart[] {
  if (spec === null || spec === undefined) return [{ kind: "sequence" }];
  const s = asRecord(spec, `${source} post_processor`);
  const special = (raw: unknown, what: string): FramePart => {
    if (Array.isArray(raw) && typeof raw[1] === "number") return { kind: "token", id: raw[1] };
    throw new TokenizerLoadError(`${source}: post_processor ${what} is not [token, id]`, { source });
  };
  switch (s.type) {
    case "RobertaProcessing":
    case "BertProcessing":
      return [special(s.cls, "cls"), { kind: "sequence" }, special(s.sep, "sep")];
    case "TemplateProcessing": {
      const single = Array.isArray(s.single) ? s.single : [];
      const specials = s.special_tokens === undefined ? {} : asRecord(s.special_tokens, "special_tokens");
      return single.map((item: unknown): FramePart => {
        const entry = asRecord(item, "template item");
        if (entry.Sequence !== undefined) return { kind: "sequence" };
        const tokenName = asRecord(entry.SpecialToken, "SpecialToken").id;
        const def = typeof tokenName === "string" ? specials[tokenName] : undefined;
        const defIds = def !== undefined ? asRecord(def, "special token").ids : undefined;
        const id = Array.isArray(defIds) && typeof defIds[0] === "number" ? defIds[0] : ids.get(String(tokenName));
        if (id === undefined)
          throw new TokenizerLoadError(`${source}: template token ${String(tokenName)} has no id`, { source });
        return { kind: "token", id };
      });
    }
    default:
      throw new TokenizerLoadError(`${source}: unsupported post_processor ${JSON.stringify(s.type)}`, { source });
  }
}

function tokenContent(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  if (typeof raw === "object" && raw !== null && typeof (raw as { content?: unknown }).content === "string") {
    return (raw as { content: string }).content;
  }
  if (typeof raw === "object" && raw !== null && typeof (raw as { pad_token?: unknown }).pad_token === "string") {
    return (raw as { pad_token: string }).pad_token;
  }
  return undefined;
}
