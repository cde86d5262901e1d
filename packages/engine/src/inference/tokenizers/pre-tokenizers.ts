/**
 * tokenizer.json pre-tokenizers, interpreted from their JSON: Sequence, Split, ByteLevel, WhitespaceSplit,
 * Whitespace and Metaspace. Each maps a list of pieces to a finer list of pieces.
 */
import { toByteLevelSymbols } from "./byte-level.js";
import { asRecord } from "./normalizers.js";
import { TokenizerLoadError } from "./tokenizer-errors.js";
import { isUnicodeWhitespace, toJsUnicodePattern } from "./unicode-whitespace.js";

/** Splits pieces of text into finer pieces. */
export type PreTokenizer = (pieces: string[]) => string[];

type SplitBehavior = "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

// GPT-2's split, which ByteLevel applies when `use_regex` is on.
const GPT2_PATTERN = toJsUnicodePattern(
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
);

/** Builds the pre-tokenizer a tokenizer.json describes (no split for null). */
export function buildPreTokenizer(spec: unknown): PreTokenizer {
  if (spec === null || spec === undefined) return (p) => p;
  const s = asRecord(spec, "pre_tokenizer");
  switch (s.type) {
    case "Sequence": {
      const steps = (Array.isArray(s.pretokenizers) ? s.pretokenizers : []).map(buildPreTokenizer);
      return (p) => steps.reduce((acc, step) => step(acc), p);
    }
    case "Split": {
      const pattern = asRecord(s.pattern, "Split.pattern");
      const regex =
        typeof pattern.Regex === "string"
          ? new RegExp(toJsUnicodePattern(pattern.Regex), "gu")
          : new RegExp(escapeRegex(String(pattern.String ?? "")), "gu");
      const behavior = (s.behavior ?? "Removed") as SplitBehavior;
      const invert = s.invert === true;
      return (p) => p.flatMap((piece) => splitPiece(piece, regex, behavior, invert));
    }
    case "ByteLevel": {
      const addPrefixSpace = s.add_prefix_space === true;
      const useRegex = s.use_regex !== false;
      const regex = new RegExp(GPT2_PATTERN, "gu");
      return (p) =>
        p.flatMap((piece) => {
          const text = addPrefixSpace && !piece.startsWith(" ") ? ` ${piece}` : piece;
          const parts = useRegex ? splitPiece(text, regex, "Isolated", true) : [text];
          return parts.map((part) => toByteLevelSymbols(part).join(""));
        });
    }
    case "WhitespaceSplit":
      return (p) => p.flatMap(splitOnWhitespace);
    case "Whitespace": {
      const regex = /\w+|[^\w\s]+/gu;
      return (p) => p.flatMap((piece) => splitPiece(piece, regex, "Removed", true));
    }
    case "Metaspace": {
      const replacement = typeof s.replacement === "string" ? s.replacement : "\u2581";
      const scheme =
        typeof s.prepend_scheme === "string" ? s.prepend_scheme : s.add_prefix_space === false ? "never" : "always";
      const split = s.split !== false;
      return (p) =>
        p.flatMap((piece, index) => {
          let text = piece.split(" ").join(replacement);
          const prepend = scheme === "always" || (scheme === "first" && index === 0);
          if (prepend && !text.startsWith(replacement)) text = replacement + text;
          return split ? splitMergedWithNext(text, replacement) : [text];
        });
    }
    default:
      throw new TokenizerLoadError(`Unsupported pre_tokenizer type ${JSON.stringify(s.type)}`, { type: s.type });
  }
}

function splitPiece(text: string, regex: RegExp, behavior: SplitBehavior, invert: boolean): string[] {
  // Spans covering the whole text; `delimiter` marks what the behavior acts on.
  const spans: { text: string; delimiter: boolean }[] = [];
  let last = 0;
  regex.lastIndex = 0;
  for (const m of text.matchAll(regex)) {
    const start = m.index;
    if (m[0].length === 0) continue;
    if (start > last) spans.push({ text: text.slice(last, start), delimiter: invert });
    spans.push({ text: m[0], delimiter: !invert });
    last = start + m[0].length;
  }
  if (last < text.length) spans.push({ text: text.slice(last), delimiter: invert });
  const out: string[] = [];
  switch (behavior) {
    case "Removed":
      for (const s of spans) if (!s.delimiter) out.push(s.text);
      break;
    case "Isolated":
      for (const s of spans) out.push(s.text);
      break;
    case "MergedWithPrevious":
      for (const s of spans) {
        if (s.delimiter && out.length > 0) out[out.length - 1] += s.text;
        else out.push(s.text);
      }
      break;
    case "MergedWithNext": {
      let pending = "";
      for (const s of spans) {
        if (s.delimiter) pending += s.text;
        else {
          out.push(pending + s.text);
          pending = "";
        }
      }
      if (pending.length > 0) out.push(pending);
      break;
    }
    case "Contiguous":
      spans.forEach((s, i) => {
        if (i > 0 && spans[i - 1].delimiter && s.delimiter && out.length > 0) out[out.length - 1] += s.text;
        else out.push(s.text);
      });
      break;
    default:
      throw new TokenizerLoadError(`Unsupported Split behavior ${JSON.stringify(behavior)}`, { behavior });
  }
  return out.filter((piece) => piece.length > 0);
}

function splitOnWhitespace(text: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const ch of text) {
    if (isUnicodeWhitespace(ch)) {
      if (current.length > 0) out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

function splitMergedWithNext(text: string, delimiter: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const ch of text) {
    if (ch === delimiter && current.length > 0) {
      out.push(current);
      current = "";
    }
    current += ch;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
