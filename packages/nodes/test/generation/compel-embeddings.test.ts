// Compel's weighting rule on a toy tokenizer and encoder (6-token rows: bos, 4 content, eos), where every number
// can be written down: chunking, padding a shorter "without" prompt with empty-prompt chunks, blends without
// normalisation, and conjunction weights.
import { describe, expect, it } from "vitest";
import {
  encodeCompelPrompt,
  PromptTokenizerUnsupportedError,
  asCompelTokenizer,
  type CompelTokenizer,
  type EncodeTokenRow,
} from "../../src/generation/compel-embeddings.js";

const BOS = 100;
const EOS = 101;
const ROW = 6;

/** Words → one id each (their length × 10 + first letter code % 10). */
const toyTokenizer: CompelTokenizer = {
  encode: (text) =>
    text
      .split(/\s+/)
      .filter((w) => w !== "")
      .map((w) => w.length * 10 + (w.charCodeAt(0) % 10)),
  tokenize: (text) => {
    const content = toyTokenizer.encode(text).slice(0, ROW - 2);
    const ids = [BOS, ...content, EOS];
    while (ids.length < ROW) ids.push(EOS);
    return { ids, untruncatedLength: toyTokenizer.encode(text).length + 2 };
  },
};

/** Row encoder with 2 features per token: [id, id · (position + 1) + sum of the row's ids / 100]. */
const toyEncoder: EncodeTokenRow = async (ids) => {
  const sum = ids.reduce((a, b) => a + b, 0);
  return Float32Array.from(ids.flatMap((id, t) => [id, id * (t + 1) + sum / 100]));
};

const rowOf = (ids: number[]) => toyEncoder(ids);
const emptyIds = [BOS, EOS, EOS, EOS, EOS, EOS];

describe("encodeCompelPrompt on a toy encoder", () => {
  it("chunks content by rowLength − 2 and frames each chunk", async () => {
    const out = await encodeCompelPrompt("aa bb cc dd ee", toyTokenizer, toyEncoder);
    expect(out.tokens).toBe(12);
    expect(out.hidden).toBe(2);
    const ids = toyTokenizer.encode("aa bb cc dd ee");
    const expected = [
      ...(await rowOf([BOS, ...ids.slice(0, 4), EOS])),
      ...(await rowOf([BOS, ids[4]!, EOS, EOS, EOS, EOS])),
    ];
    expect(Array.from(out.data)).toEqual(expected.map(Math.fround));
  });

  it("down-weighting a fragment whose removal drops a chunk pads the shorter prompt with the empty prompt", async () => {
    const out = await encodeCompelPrompt("aa bb cc dd (ee)0.5", toyTokenizer, toyEncoder);
    const ids = toyTokenizer.encode("aa bb cc dd ee");
    const empty = await rowOf(emptyIds);
    const z1 = await rowOf([BOS, ...ids.slice(0, 4), EOS]);
    const z2 = await rowOf([BOS, ids[4]!, EOS, EOS, EOS, EOS]);
    // base: chunk 2's "ee" row scaled by 0.5 from the empty row; without: chunk 1 alone, then an empty chunk.
    const base = [
      ...z1,
      ...Array.from(z2, (v, i) => (Math.floor(i / 2) === 1 ? empty[i]! + (v - empty[i]!) * 0.5 : v)),
    ];
    const without = [...z1, ...empty];
    const lerp = Math.tan(0.5 * (Math.PI / 2));
    const expected = base.map((v, i) => (v + lerp * without[i]!) / (1 + lerp));
    expect(out.tokens).toBe(12);
    out.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it("blend without normalisation sums the weighted prompts; conjunction weights scale from the empty prompt", async () => {
    const blend = await encodeCompelPrompt('("aa", "bbb").blend(0.5, 2, no_normalize)', toyTokenizer, toyEncoder);
    const a = await rowOf(toyTokenizer.tokenize("aa").ids);
    const b = await rowOf(toyTokenizer.tokenize("bbb").ids);
    blend.data.forEach((v, i) => expect(v).toBeCloseTo(0.5 * a[i]! + 2 * b[i]!, 4));

    const and = await encodeCompelPrompt('("aa", "bbb").and(2, 1)', toyTokenizer, toyEncoder);
    const empty = await rowOf(emptyIds);
    expect(and.tokens).toBe(12);
    const expected = [...Array.from(a, (v, i) => empty[i]! + (v - empty[i]!) * 2), ...b];
    and.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it("refuses tokenizers that cannot tokenize fragments", () => {
    expect(() => asCompelTokenizer({ tokenize: () => ({ ids: [], untruncatedLength: 0 }) }, "t")).toThrow(
      PromptTokenizerUnsupportedError,
    );
  });
});
