import { describe, expect, it } from "vitest";
import {
  DynamicPromptError,
  DynamicPromptSyntaxError,
  generateCombinatorialPrompts as combos,
  generateRandomPrompts as randoms,
  MAX_DYNAMIC_PROMPTS,
  parseDynamicPrompt as parse,
} from "../../src/prompts/dynamic-prompts.js";

// Expected combinatorial outputs are the ones in the dynamicprompts library's own test suite.
describe("parseDynamicPrompt", () => {
  it("keeps plain text, brackets and A1111 syntax as one literal", () => {
    for (const text of [
      "hello world",
      "I, love. punctuation",
      "Test [low emphasis:0.4]",
      "Test (high:1.2)",
      "[cat|dog]",
      "Unmatched } bracket",
    ]) {
      expect(parse(text)).toEqual({ kind: "literal", text });
    }
  });

  it("parses variants, weights, bounds and joiners", () => {
    const v = parse("{0.2::cat|dog|3::bird}");
    expect(v).toMatchObject({ kind: "variant", minBound: 1, maxBound: 1, separator: ",", sampling: null });
    expect(v.kind === "variant" && v.options.map((o) => o.weight)).toEqual([0.2, 1, 3]);
    expect(parse("{2$$a|b|c}")).toMatchObject({ minBound: 2, maxBound: 2 });
    expect(parse("{1-3$$a|b|c}")).toMatchObject({ minBound: 1, maxBound: 3 });
    expect(parse("{-2$$a|b|c}")).toMatchObject({ minBound: 1, maxBound: 2 });
    expect(parse("{2-$$a|b|c}")).toMatchObject({ minBound: 2, maxBound: 3 });
    expect(parse("{3-1$$a|b|c}")).toMatchObject({ minBound: 1, maxBound: 3 });
    expect(parse("{0-1$$a|b|c|d}")).toMatchObject({ minBound: 0, maxBound: 1 });
    expect(parse("{2$$ and $$a|b}")).toMatchObject({ separator: " and " });
    expect(parse("{2$$|$$a|b}")).toMatchObject({ separator: "|" });
    expect(parse("{2$$  $$a|b}")).toMatchObject({ separator: "  " });
    expect(parse("{~a|b}")).toMatchObject({ sampling: "random" });
    expect(parse("{@2$$a|b}")).toMatchObject({ sampling: "cyclical", minBound: 2 });
  });

  it("drops whitespace before options but keeps it after", () => {
    const v = parse("{ a | b }");
    expect(v.kind === "variant" && v.options.map((o) => o.value)).toEqual([
      { kind: "literal", text: "a " },
      { kind: "literal", text: "b " },
    ]);
  });

  it("nests variants and sequences", () => {
    expect(parse("{a {x|y}|b}")).toMatchObject({
      kind: "variant",
      options: [
        { value: { kind: "sequence", items: [{ text: "a " }, { kind: "variant" }] } },
        { value: { text: "b" } },
      ],
    });
  });

  it("removes comments where a chunk starts, joining split text with a space", () => {
    const prompt = "\n one\n three # comment\n # A comment\n {cat|dog} # another\n five\n";
    const seq = parse(prompt);
    expect(seq).toMatchObject({
      kind: "sequence",
      items: [{ text: "\n one\n three  \n " }, { kind: "variant" }, { text: "\n five\n" }],
    });
    expect(parse("{a|b}// trailing")).toMatchObject({ kind: "variant" });
    expect(parse("/* note */x")).toEqual({ kind: "literal", text: "x" });
    expect(parse("see http://example.com")).toEqual({ kind: "literal", text: "see http://example.com" });
  });

  it("treats backslash-escaped syntax characters as text (an Atelier extension)", () => {
    expect(combos("a \\{b\\} {c\\|d|e}")).toEqual(["a {b} c|d", "a {b} e"]);
    expect(combos("price \\$5 \\# tag")).toEqual(["price $5 # tag"]);
    expect(combos("keep \\( as is")).toEqual(["keep \\( as is"]);
  });

  it("reports syntax errors with a position", () => {
    expect(() => parse("{cat|dog")).toThrow(DynamicPromptSyntaxError);
    expect(() => parse("{cat|dog")).toThrow(/Unclosed '\{' .* position 0/);
    expect(() => parse("x {2$$ $ $$cat|dog}")).toThrow(/Unexpected '\$'/);
    try {
      parse("ab {c");
    } catch (err) {
      expect((err as DynamicPromptSyntaxError).details.position).toBe(3);
      expect((err as DynamicPromptSyntaxError).code).toBe("dynamic_prompt_syntax");
    }
  });

  it("leaves wildcards as text (no wildcard files, as in InvokeAI)", () => {
    expect(combos("a __colours__ {b|c}")).toEqual(["a __colours__ b", "a __colours__ c"]);
  });
});

describe("generateCombinatorialPrompts", () => {
  it("enumerates in the library's order", () => {
    expect(combos("A red {square|circle}", 5)).toEqual(["A red square", "A red circle"]);
    expect(combos("A {|red|blue} rose", 3)).toEqual(["A  rose", "A red rose", "A blue rose"]);
    expect(combos("A {red|green} {square|circle}", 5)).toEqual([
      "A red square",
      "A red circle",
      "A green square",
      "A green circle",
    ]);
  });

  it("permutes counted variants", () => {
    expect(combos("A {2$$red|green|blue} square", 10)).toEqual([
      "A red,green square",
      "A red,blue square",
      "A green,red square",
      "A green,blue square",
      "A blue,red square",
      "A blue,green square",
    ]);
    expect(combos("A {1-2$$red|green|blue} square", 10)).toEqual([
      "A red square",
      "A green square",
      "A blue square",
      "A red,green square",
      "A red,blue square",
      "A green,red square",
      "A green,blue square",
      "A blue,red square",
      "A blue,green square",
    ]);
    expect(combos("A {2$$ and $$red|green|blue} square", 2)).toEqual([
      "A red and green square",
      "A red and blue square",
    ]);
  });

  it("stops at max_prompts and handles 0", () => {
    expect(combos("{a|b|c}{1|2|3}", 4)).toEqual(["a1", "a2", "a3", "b1"]);
    expect(combos("{a|b}", 0)).toEqual([]);
  });

  it("caps counts at the number of options and dedupes equal options", () => {
    expect(combos("A red {3$$square|circle}", 10)).toEqual(["A red square,circle", "A red circle,square"]);
    expect(combos("{a|a|b}")).toEqual(["a", "b"]);
    expect(combos("{2$$a|a|b}")).toEqual(["a,b", "b,a"]);
    expect(combos("{0$$a|b}x")).toEqual(["x"]);
  });

  it("expands nested variants inside options", () => {
    expect(combos("{big {red|blue}|small} ball")).toEqual(["big red ball", "big blue ball", "small ball"]);
  });

  it("gives nothing for an empty template and one prompt for plain text", () => {
    expect(combos("")).toEqual([]);
    expect(combos("just text")).toEqual(["just text"]);
    expect(combos("{}")).toEqual([""]);
  });

  it("samples ~random variants once per combination of the rest", () => {
    const out = combos("x {~a|b} {c|d}");
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^x [ab] c$/);
    expect(out[1]).toMatch(/^x [ab] d$/);
  });

  it("refuses negative or huge limits with a typed error", () => {
    expect(() => combos("{a|b}", -1)).toThrow(DynamicPromptError);
    expect(() => combos("{a|b}", MAX_DYNAMIC_PROMPTS + 1)).toThrow(/exceeds the limit/);
  });
});

describe("generateRandomPrompts", () => {
  // Expected lists come from replaying the library's draws (randint for the count, then one weighted
  // random.choices per pick) on CPython's random.Random(seed).
  it("matches the library's draws on CPython's generator", () => {
    expect(randoms("{red|green|blue} {cat|dog}", 6, 42)).toEqual([
      "red cat",
      "blue dog",
      "red cat",
      "green cat",
      "blue dog",
      "blue cat",
    ]);
    expect(randoms("x {0.1::a|5::b} {1-3$$ and $$p|q|r|s}", 5, 7)).toEqual([
      "x b r and p",
      "x b s",
      "x b q and p",
      "x b p and q and s",
      "x b p and q",
    ]);
    expect(randoms("{2$$|$$a|b|c|d}", 4, 2n ** 33n + 1n)).toEqual(["b|c", "d|b", "c|a", "b|c"]);
  });

  it("is deterministic per seed and varies across seeds", () => {
    const t = "{a|b|c|d|e|f|g|h} {1|2|3|4|5|6|7|8}";
    expect(randoms(t, 20, 5)).toEqual(randoms(t, 20, 5));
    expect(randoms(t, 20, 5)).not.toEqual(randoms(t, 20, 6));
  });

  it("repeats plain text, never picks a zero-weight option, and respects counts", () => {
    expect(randoms("plain", 3, 1)).toEqual(["plain", "plain", "plain"]);
    expect(new Set(randoms("{0::a|1::b}", 50, 3))).toEqual(new Set(["b"]));
    for (const p of randoms("{2-3$$a|b|c|d}", 30, 9)) {
      const parts = p.split(",");
      expect(parts.length).toBeGreaterThanOrEqual(2);
      expect(parts.length).toBeLessThanOrEqual(3);
      expect(new Set(parts).size).toBe(parts.length);
    }
  });

  it("resamples nested variants per prompt and cycles @ variants in order", () => {
    expect(new Set(randoms("{{a|b}|{c|d}}", 60, 11))).toEqual(new Set(["a", "b", "c", "d"]));
    expect(randoms("{@a|b|c}", 5, 1)).toEqual(["a", "b", "c", "a", "b"]);
  });

  it("rejects weights that cannot be sampled", () => {
    expect(() => randoms("{0::a|0::b}", 1, 1)).toThrow(/weights cannot be sampled/);
  });

  it("handles empty templates, zero counts and unseeded runs", () => {
    expect(randoms("", 3, 1)).toEqual([]);
    expect(randoms("{a|b}", 0, 1)).toEqual([]);
    expect(randoms("{a|b}", 10)).toHaveLength(10);
  });
});
