import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  TokenizerLoadError,
  TokenizerUsageError,
  loadTokenizer,
  type TextTokenizer,
} from "../../../src/inference/tokenizers/index.js";
import { DIFFUSION_FIXTURES, haveDiffusionFixtures } from "../schedulers/support/diffusion-fixtures.js";

describe.runIf(haveDiffusionFixtures)("T5 sentencepiece unigram", () => {
  const dir = join(DIFFUSION_FIXTURES, "tiny-flux", "diffusers", "tokenizer_2");
  let tok: TextTokenizer;
  let pieces: Map<string, { id: number; score: number }>;

  beforeAll(async () => {
    tok = await loadTokenizer(dir);
    const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as {
      model: { vocab: [string, number][] };
    };
    pieces = new Map(json.model.vocab.map(([p, s], id) => [p, { id, score: s }]));
  });

  // Brute force over every segmentation: the reference Viterbi must find the same maximum.
  function bestSegmentation(word: string): number[] | undefined {
    const chars = [...word];
    let best: { score: number; ids: number[] } | undefined;
    const walk = (at: number, score: number, ids: number[]) => {
      if (at === chars.length) {
        if (best === undefined || score > best.score) best = { score, ids: [...ids] };
        return;
      }
      for (let end = at + 1; end <= chars.length; end++) {
        const hit = pieces.get(chars.slice(at, end).join(""));
        if (hit !== undefined) walk(end, score + hit.score, [...ids, hit.id]);
      }
    };
    walk(0, 0, []);
    return best?.ids;
  }

  it("segments words with the highest total score and prepends ▁ to each word", () => {
    for (const word of ["photograph", "astronaut", "detailed", "moon"]) {
      const expected = bestSegmentation(`\u2581${word}`);
      expect(expected).toBeDefined();
      expect(tok.encode(word)).toEqual(expected);
    }
    expect(tok.encode("moon detailed")).toEqual([...tok.encode("moon"), ...tok.encode("detailed")]);
  });

  it("appends </s> = 1 and pads with 0; truncation keeps </s> last", () => {
    const short = tok.tokenize("moon", { maxLength: 8 });
    expect(short.ids).toEqual([...tok.encode("moon"), 1, ...Array(8 - tok.encode("moon").length - 1).fill(0)]);
    const long = tok.tokenize("moon ".repeat(600));
    expect(long.ids).toHaveLength(512);
    expect(long.ids[511]).toBe(1);
    expect(long.truncated).toBe(true);
    expect(long.ids.slice(0, 511)).toEqual(tok.encode("moon ".repeat(600)).slice(0, 511));
  });

  it("nmt_nfkc: ligatures and circled digits fold, whitespace runs and odd spaces vanish", () => {
    expect(tok.encode("ﬁne")).toEqual(tok.encode("fine"));
    expect(tok.encode("①")).toEqual(tok.encode("1"));
    expect(tok.encode("  moon \t\u3000 moon ")).toEqual(tok.encode("moon moon"));
    expect(tok.encode("")).toEqual([]);
  });

  it("characters no piece covers become <unk> = 2, and runs of them fuse into one", () => {
    expect(pieces.has("\u2581日")).toBe(false);
    expect(pieces.has("日")).toBe(false);
    expect(tok.encode("日本語")).toEqual([pieces.get("\u2581")!.id, 2]);
  });

  it("special tokens in the text map to their ids", () => {
    expect(tok.encode("a <extra_id_0> b")).toEqual([...tok.encode("a"), 355, ...tok.encode("b")]);
    expect(tok.tokenToId("<extra_id_0>")).toBe(355);
  });

  it("refuses a max length that cannot hold </s>, and a folder without tokenizer.json", async () => {
    expect(() => tok.tokenize("a", { maxLength: 0 })).toThrow(TokenizerUsageError);
    await expect(loadTokenizer(join(DIFFUSION_FIXTURES, "tiny-flux", "diffusers", "vae"))).rejects.toBeInstanceOf(
      TokenizerLoadError,
    );
  });
});
