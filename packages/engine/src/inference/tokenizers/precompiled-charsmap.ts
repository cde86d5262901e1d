/**
 * Sentencepiece's precompiled normalization map (tokenizer.json's `Precompiled` normalizer, e.g. T5's nmt_nfkc):
 * a Darts-clone double-array trie over UTF-8 byte strings whose values index NUL-terminated replacements.
 * Applied per grapheme cluster as Hugging Face tokenizers does, so ids match theirs.
 */
import { TokenizerLoadError } from "./tokenizer-errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A decoded precompiled charsmap. */
export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;

  /** Parses the base64 `precompiled_charsmap` string of tokenizer.json. */
  static fromBase64(base64: string): PrecompiledCharsmap {
    const bytes = new Uint8Array(Buffer.from(base64, "base64"));
    if (bytes.length < 4) throw new TokenizerLoadError("precompiled_charsmap is too short to hold a trie size");
    const trieSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) {
      throw new TokenizerLoadError(
        `precompiled_charsmap trie size ${trieSize} does not fit the ${bytes.length}-byte map`,
      );
    }
    const units = new Uint32Array(trieSize / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset + 4, trieSize);
    for (let i = 0; i < units.length; i++) units[i] = view.getUint32(i * 4, true);
    return new PrecompiledCharsmap(units, bytes.slice(4 + trieSize));
  }

  private constructor(units: Uint32Array, normalized: Uint8Array) {
    this.units = units;
    this.normalized = normalized;
  }

  /** The replacement for `chunk` (the first, i.e. shortest, prefix hit, as spm_precompiled does), or undefined. */
  transform(chunk: string): string | undefined {
    const key = encoder.encode(chunk);
    const index = this.firstPrefixValue(key);
    if (index === undefined) return undefined;
    let end = index;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return decoder.decode(this.normalized.subarray(index, end));
  }

  /** Normalizes a whole string grapheme by grapheme. */
  normalize(text: string): string {
    let out = "";
    for (const { segment } of graphemeSegmenter().segment(text)) {
      if (encoder.encode(segment).length < 6) {
        const replaced = this.transform(segment);
        if (replaced !== undefined) {
          out += replaced;
          continue;
        }
      }
      for (const ch of segment) out += this.transform(ch) ?? ch;
    }
    return out;
  }

  // Darts-clone unit layout: bit 8 = has leaf, low 31 bits = value, label = bits 0-7 plus bit 31, offset packed
  // in the top 22 bits with a 2^8 scale flag at bit 9.
  private firstPrefixValue(key: Uint8Array): number | undefined {
    const units = this.units;
    if (units.length === 0) return undefined;
    let nodePos = offsetOf(units[0]);
    for (const c of key) {
      if (c === 0) break;
      nodePos ^= c;
      if (nodePos >= units.length) return undefined;
      const unit = units[nodePos];
      if (labelOf(unit) !== c) return undefined;
      nodePos ^= offsetOf(unit);
      if (((unit >>> 8) & 1) === 1) {
        if (nodePos >= units.length) return undefined;
        return units[nodePos] & 0x7fffffff;
      }
    }
    return undefined;
  }
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function labelOf(unit: number): number {
  return (unit & 0x800000ff) >>> 0;
}

let segmenter: Intl.Segmenter | undefined;
function graphemeSegmenter(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return segmenter;
}
