/**
 * tokenizer.json normalizers, interpreted from their JSON: Sequence, NFC/NFD/NFKC/NFKD, Lowercase, Replace,
 * Strip, Prepend and Precompiled (sentencepiece charsmaps).
 */
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { TokenizerLoadError } from "./tokenizer-errors.js";
import { toJsUnicodePattern } from "./unicode-whitespace.js";

/** A text → text normalization step. */
export type Normalizer = (text: string) => string;

/** Builds the normalizer a tokenizer.json describes (identity for null). */
export function buildNormalizer(spec: unknown): Normalizer {
  if (spec === null || spec === undefined) return (t) => t;
  const s = asRecord(spec, "normalizer");
  switch (s.type) {
    case "Sequence": {
      const steps = (Array.isArray(s.normalizers) ? s.normalizers : []).map(buildNormalizer);
      return (t) => steps.reduce((acc, step) => step(acc), t);
    }
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD": {
      const form = s.type;
      return (t) => t.normalize(form);
    }
    case "Lowercase":
      return (t) => t.toLowerCase();
    case "Strip": {
      const left = s.strip_left !== false;
      const right = s.strip_right !== false;
      return (t) => (left && right ? t.trim() : left ? t.trimStart() : right ? t.trimEnd() : t);
    }
    case "Prepend": {
      const prefix = typeof s.prepend === "string" ? s.prepend : "";
      return (t) => (t.length > 0 ? prefix + t : t);
    }
    case "Replace": {
      const content = typeof s.content === "string" ? s.content : "";
      const pattern = asRecord(s.pattern, "Replace.pattern");
      if (typeof pattern.Regex === "string") {
        const re = new RegExp(toJsUnicodePattern(pattern.Regex), "gu");
        return (t) => t.replace(re, () => content);
      }
      if (typeof pattern.String === "string") {
        const needle = pattern.String;
        return (t) => (needle.length > 0 ? t.split(needle).join(content) : t);
      }
      throw new TokenizerLoadError("Replace normalizer has neither a Regex nor a String pattern", { pattern });
    }
    case "Precompiled": {
      if (typeof s.precompiled_charsmap !== "string" || s.precompiled_charsmap.length === 0) return (t) => t;
      const map = PrecompiledCharsmap.fromBase64(s.precompiled_charsmap);
      return (t) => map.normalize(t);
    }
    default:
      throw new TokenizerLoadError(`Unsupported normalizer type ${JSON.stringify(s.type)}`, { type: s.type });
  }
}

/** Narrows a JSON value to an object, or fails with a message naming `what`. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${what} must be a JSON object`, { value });
  }
  return value as Record<string, unknown>;
}
