// Compel's prompt syntax: each prompt parsed to the flattened structure Compel's own parser gives (the expected
// structures follow Compel's grammar and its flattening: weights multiply when nested, neighbours of equal weight
// are joined with one space).
import { describe, expect, it } from "vitest";
import { parseCompelPrompt, PromptSyntaxError, type PromptConjunction } from "../../src/generation/compel-syntax.js";

const f = (text: string, weight = 1) => ({ text, weight });
const single = (...fragments: { text: string; weight: number }[]): PromptConjunction => ({
  prompts: [{ kind: "prompt", fragments }],
  weights: [1],
});

function expectParsed(prompt: string, expected: PromptConjunction): void {
  const actual = parseCompelPrompt(prompt);
  expect(actual.weights).toEqual(expected.weights);
  expect(actual.prompts.length).toBe(expected.prompts.length);
  actual.prompts.forEach((p, i) => {
    const e = expected.prompts[i]!;
    expect(p.kind).toBe(e.kind);
    const frags = (x: typeof p) => (x.kind === "prompt" ? [x.fragments] : x.prompts.map((q) => q.fragments));
    const [af, ef] = [frags(p), frags(e)];
    expect(af.length).toBe(ef.length);
    af.forEach((list, j) => {
      expect(list.map((x) => x.text)).toEqual(ef[j]!.map((x) => x.text));
      list.forEach((x, k) => expect(x.weight).toBeCloseTo(ef[j]![k]!.weight, 12));
    });
    if (p.kind === "blend" && e.kind === "blend") {
      expect(p.weights).toEqual(e.weights);
      expect(p.normalize).toBe(e.normalize);
    }
  });
}

describe("parseCompelPrompt", () => {
  it("plain prompts are one fragment of weight 1 with whitespace collapsed", () => {
    expectParsed("a cat  sitting\ton a mat", single(f("a cat sitting on a mat")));
    expectParsed("  ", single(f("")));
    expectParsed("", single(f("")));
  });

  it("word+ / word- / word++ weight one word by powers of 1.1 and 0.9", () => {
    expectParsed("a man picking apricots+", single(f("a man picking"), f("apricots", 1.1)));
    expectParsed("apricots-- from a tree", single(f("apricots", 0.81), f("from a tree")));
    expectParsed("mountain+++ man", single(f("mountain", 1.1 ** 3), f("man")));
  });

  it("signs inside words and signs after a space are text", () => {
    expectParsed("a well-known man", single(f("a well-known man")));
    expectParsed("a man + a dog", single(f("a man + a dog")));
    expectParsed("c++ code", single(f("c", 1.21), f("code")));
  });

  it("(group)weight, (group)+ and (group)- weight every word of the group", () => {
    expectParsed("a tall man (picking apricots)1.3", single(f("a tall man"), f("picking apricots", 1.3)));
    expectParsed("(a b)-", single(f("a b", 0.9)));
    expectParsed("(picking apricots)++ now", single(f("picking apricots", 1.21), f("now")));
    expectParsed('"quoted words"0.5 end', single(f("quoted words", 0.5), f("end")));
    expectParsed("(whole)2", single(f("whole", 2)));
    expectParsed("(half).5", single(f("half", 0.5)));
  });

  it("nesting multiplies weights", () => {
    expectParsed(
      "a tall thin man (picking (apricots)1.3)1.1",
      single(f("a tall thin man"), f("picking", 1.1), f("apricots", 1.43)),
    );
    expectParsed("(picking apricots+)++", single(f("picking", 1.21), f("apricots", 1.331)));
  });

  it("(word) without a weight is grouping only; a space before the weight makes it text", () => {
    expectParsed("a (red) ball", single(f("a red ball")));
    expectParsed("a (red ball) 1.5", single(f("a red ball 1.5")));
  });

  it("commas and periods inside groups become their own words", () => {
    expectParsed("(a, b.)1.2 c", single(f("a , b .", 1.2), f("c")));
  });

  it("escaped parentheses and words glued to parentheses are literal text", () => {
    expectParsed("a \\(literal\\) paren", single(f("a (literal) paren")));
    expectParsed("foo(bar) baz", single(f("foo(bar) baz")));
    expectParsed("(unclosed group", single(f("(unclosed group")));
  });

  it("a group inside ordinary text loses its parentheses; escaped ones stay (what InvokeAI encodes)", () => {
    const prompt = "It's a beautiful day: two cats & three dogs (cute!) at the café 😀";
    expectParsed(prompt, single(f("It's a beautiful day: two cats & three dogs cute! at the café 😀")));
    expectParsed(
      prompt.replace(/[()]/g, (c) => `\\${c}`),
      single(f(prompt)),
    );
  });

  it("square brackets are text, as in Compel", () => {
    expectParsed("a [blue] car", single(f("a [blue] car")));
  });

  it(".attend() is the explicit weight form", () => {
    expectParsed("a (red ball).attend(0.7)", single(f("a"), f("red ball", 0.7)));
  });

  it(".blend() mixes prompts, normalised unless no_normalize", () => {
    expectParsed('("spider man", "robot mech").blend(1, 0.8)', {
      prompts: [
        {
          kind: "blend",
          prompts: [
            { kind: "prompt", fragments: [f("spider man")] },
            { kind: "prompt", fragments: [f("robot mech")] },
          ],
          weights: [1, 0.8],
          normalize: true,
        },
      ],
      weights: [1],
    });
    const raw = parseCompelPrompt('("a cat+", dog).blend(0.25, 0.75, no_normalize)');
    const blend = raw.prompts[0]!;
    expect(blend.kind).toBe("blend");
    if (blend.kind !== "blend") return;
    expect(blend.normalize).toBe(false);
    expect(blend.weights).toEqual([0.25, 0.75]);
    expect(blend.prompts[0]!.fragments).toEqual([f("a"), f("cat", 1.1)]);
    expect(blend.prompts[1]!.fragments).toEqual([f("dog")]);
  });

  it(".and() makes a conjunction, weights default to 1", () => {
    expectParsed('("a dream of a distant galaxy", "trending on artstation").and()', {
      prompts: [
        { kind: "prompt", fragments: [f("a dream of a distant galaxy")] },
        { kind: "prompt", fragments: [f("trending on artstation")] },
      ],
      weights: [1, 1],
    });
    expectParsed('("a cat", "(a hat)1.2").and(1, 0.5)', {
      prompts: [
        { kind: "prompt", fragments: [f("a cat")] },
        { kind: "prompt", fragments: [f("a hat", 1.2)] },
      ],
      weights: [1, 0.5],
    });
  });

  it(".swap() conditions on the original text; useLora() is dropped", () => {
    expectParsed("a cat.swap(dog) on a mat", single(f("a cat on a mat")));
    expectParsed("a portrait withLora(style, 0.5)", single(f("a portrait")));
  });

  it("rejects what Compel rejects, with a typed error", () => {
    expect(() => parseCompelPrompt('("a", "b").blend(1, 2, 3)')).toThrow(PromptSyntaxError);
    expect(() => parseCompelPrompt('("a", "b").and(1)')).toThrow(/2 prompts but 1 weights/);
    expect(() => parseCompelPrompt('("a", "b").blend(1, 1) more')).toThrow(/after \.blend/);
  });
});
