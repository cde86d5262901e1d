import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTokenizer, type TextTokenizer } from "../../../src/inference/tokenizers/index.js";
import { DIFFUSION_FIXTURES, haveDiffusionFixtures } from "../schedulers/support/diffusion-fixtures.js";

// Expected ids are derived here from vocab.json / merges.txt and GPT-2's byte map written out independently.
describe.runIf(haveDiffusionFixtures)("CLIP byte-level BPE on tricky text", () => {
  const dir = join(DIFFUSION_FIXTURES, "tiny-sd15", "diffusers", "tokenizer");
  let tok: TextTokenizer;
  let vocab: Record<string, number>;
  let merges: Set<string>;
  const BOS = 998;
  const EOS = 999;

  beforeAll(async () => {
    tok = await loadTokenizer(dir);
    vocab = JSON.parse(readFileSync(join(dir, "vocab.json"), "utf8")) as Record<string, number>;
    merges = new Set(
      readFileSync(join(dir, "merges.txt"), "utf8")
        .split("\n")
        .filter((l) => l.length > 0 && !l.startsWith("#version")),
    );
  });

  // Byte symbol of a byte value in GPT-2's table: printable ranges map to themselves, others to 256 + n.
  const byteSymbol = (b: number): string => {
    const printable = (x: number) => (x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff);
    if (printable(b)) return String.fromCodePoint(b);
    let n = 0;
    for (let x = 0; x < b; x++) if (!printable(x)) n++;
    return String.fromCodePoint(256 + n);
  };

  it("frames with BOS/EOS and pads with EOS to 77; the empty string is BOS EOS + padding", () => {
    const empty = tok.tokenize("");
    expect(empty.ids).toHaveLength(77);
    expect(empty.ids.slice(0, 2)).toEqual([BOS, EOS]);
    expect(new Set(empty.ids.slice(2))).toEqual(new Set([EOS]));
    expect(empty.attentionMask.slice(0, 3)).toEqual([1, 1, 0]);
  });

  it("each digit is its own word (CLIP's regex), so each gets </w>", () => {
    const expected = ["1", "2", "3", "4", "5"].map((d) => vocab[`${d}</w>`]);
    expect(tok.encode("12345")).toEqual(expected);
  });

  it("collapses and trims whitespace runs, lowercases", () => {
    expect(tok.encode("  A\t\tCAT \n\n SAT  ")).toEqual(tok.encode("a cat sat"));
    expect(tok.encode("a cat sat").length).toBeGreaterThan(2);
  });

  it("punctuation runs are one word of byte symbols; unmerged pairs stay apart", () => {
    expect(merges.has("! !</w>")).toBe(false);
    expect(tok.encode("!!")).toEqual([vocab["!"], vocab["!</w>"]]);
    expect(tok.encode("hi!!")).toEqual([...tok.encode("hi"), vocab["!"], vocab["!</w>"]]);
  });

  it("maps UTF-8 bytes through GPT-2's table; NFC makes composed and decomposed é equal", () => {
    // "é" = C3 A9 → two byte symbols, the last with </w> (no merge in this tiny vocab joins them).
    const [c3, a9] = [byteSymbol(0xc3), byteSymbol(0xa9)];
    expect(merges.has(`${c3} ${a9}</w>`)).toBe(false);
    expect(tok.encode("é")).toEqual([vocab[c3], vocab[`${a9}</w>`]]);
    expect(tok.encode("e\u0301")).toEqual(tok.encode("é"));
    // A non-printable byte: space (0x20) is never emitted, but U+00A0 (C2 A0) is whitespace and vanishes.
    expect(tok.encode("a\u00a0b")).toEqual(tok.encode("a b"));
  });

  it("keeps contractions as CLIP's regex splits them", () => {
    const ids = tok.encode("it's");
    expect(ids).toEqual([...tok.encode("it"), ...tok.encode("'s")]);
  });

  it("special token text in the prompt maps to the special id", () => {
    expect(tok.encode("a<|endoftext|>b")).toEqual([...tok.encode("a"), EOS, ...tok.encode("b")]);
  });

  it("truncates the content to 75 tokens and keeps EOS last", () => {
    const text = Array.from({ length: 100 }, (_, i) => String(i % 10)).join(" ");
    const result = tok.tokenize(text);
    expect(result.ids).toHaveLength(77);
    expect(result.truncated).toBe(true);
    expect(result.untruncatedLength).toBe(102);
    expect(result.ids[0]).toBe(BOS);
    expect(result.ids[76]).toBe(EOS);
    expect(result.ids.slice(1, 76)).toEqual(tok.encode(text).slice(0, 75));
  });

  it("tokenizeChunks splits long prompts into framed 77-token chunks of 75", () => {
    const text = Array.from({ length: 100 }, (_, i) => String(i % 10)).join(" ");
    const content = tok.encode(text);
    const chunks = tok.tokenizeChunks(text);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toEqual([BOS, ...content.slice(0, 75), EOS]);
    expect(chunks[1].slice(0, 27)).toEqual([BOS, ...content.slice(75), EOS]);
    expect(chunks[1]).toHaveLength(77);
    expect(new Set(chunks[1].slice(27))).toEqual(new Set([EOS]));
    expect(tok.tokenizeChunks("")).toEqual([tok.tokenize("").ids]);
  });

  it("SDXL tokenizer_2 has '!' as an added special token (id 0), as Hugging Face tokenizers treats it", async () => {
    const tok2 = await loadTokenizer(join(DIFFUSION_FIXTURES, "tiny-sdxl", "diffusers", "tokenizer_2"));
    expect(tok.encode("wow!")).toEqual([...tok.encode("wow"), vocab["!</w>"]]);
    expect(tok2.encode("wow!")).toEqual([...tok.encode("wow"), 0]);
  });
});
