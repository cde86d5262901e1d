import { describe, expect, it } from "vitest";
import {
  pythonRegExp,
  replaceAll,
  splitOnce,
  splitPositiveNegative,
  StringPatternError,
} from "../../src/strings/string-operations.js";

describe("splitPositiveNegative (string_split_neg)", () => {
  it("moves bracketed text to the negative string, each bracket becoming a space", () => {
    expect(splitPositiveNegative("a cat [blurry] on a mat [ugly]")).toEqual({
      positive_string: "a cat  on a mat ",
      negative_string: " blurry ugly",
    });
  });

  it("handles nesting, escapes and empty input", () => {
    expect(splitPositiveNegative("x [a [b] c] y")).toEqual({ positive_string: "x  y", negative_string: " a  b c" });
    // An escaped "[" stays text; its "]" still closes a (never opened) bracket and vanishes, as in InvokeAI.
    expect(splitPositiveNegative("keep \\[this] ok")).toEqual({
      positive_string: "keep \\[this ok",
      negative_string: "",
    });
    expect(splitPositiveNegative("")).toEqual({ positive_string: "", negative_string: "" });
  });
});

describe("splitOnce (string_split)", () => {
  it("splits at the first delimiter", () => {
    expect(splitOnce("a,b,c", ",")).toEqual({ string_1: "a", string_2: "b,c" });
    expect(splitOnce("abc", ",")).toEqual({ string_1: "abc", string_2: "" });
    expect(splitOnce("a::b", "::")).toEqual({ string_1: "a", string_2: "b" });
  });

  it("splits at the first whitespace run when the delimiter is blank", () => {
    expect(splitOnce("  hello   big world ", "")).toEqual({ string_1: "hello", string_2: "big world " });
    expect(splitOnce("one", "")).toEqual({ string_1: "one", string_2: "" });
    expect(splitOnce("", "")).toEqual({ string_1: "", string_2: "" });
  });
});

describe("replaceAll (string_replace)", () => {
  it("replaces literally and case-insensitively without regex", () => {
    expect(replaceAll("A Cat and a cat", "cat", "dog", false)).toBe("A dog and a dog");
    expect(replaceAll("1+1=2", "1+1", "two", false)).toBe("two=2");
    expect(replaceAll("cost $5", "$5", "$$6", false)).toBe("cost $$6");
    expect(replaceAll("same", "", "x", false)).toBe("same");
  });

  it("uses Python regex syntax with a regex: backrefs, named groups, inline flags", () => {
    expect(replaceAll("john smith", "(\\w+) (\\w+)", "\\2 \\1", true)).toBe("smith john");
    expect(replaceAll("2024-05", "(?P<y>\\d+)-(?P<m>\\d+)", "\\g<m>/\\g<y>", true)).toBe("05/2024");
    expect(replaceAll("ABC abc", "(?i)abc", "x", true)).toBe("x x");
    expect(replaceAll("aXbXc", "X", "\\n", true)).toBe("a\nb\nc");
    expect(replaceAll("Abc", "abc", "x", true)).toBe("Abc");
  });

  it("reports bad patterns as typed errors naming search_string", () => {
    expect(() => replaceAll("x", "(", "y", true)).toThrow(StringPatternError);
    try {
      pythonRegExp("(?x)a b");
    } catch (err) {
      expect((err as StringPatternError).details.field).toBe("search_string");
    }
  });
});
