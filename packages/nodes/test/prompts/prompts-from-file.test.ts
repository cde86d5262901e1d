import { describe, expect, it } from "vitest";
import { promptsFromText } from "../../src/prompts/prompts-from-file.js";

const opts = { pre_prompt: null, post_prompt: null, start_line: 1, max_prompts: 0 };

describe("promptsFromText (prompt_from_file's line selection)", () => {
  it("strips lines and keeps blank ones, like InvokeAI", () => {
    expect(promptsFromText("  a cat \n\n dog\t\n", opts)).toEqual(["a cat", "", "dog"]);
  });

  it("wraps every line in pre/post prompt", () => {
    expect(promptsFromText("a\nb", { ...opts, pre_prompt: "photo of ", post_prompt: ", 4k" })).toEqual([
      "photo of a, 4k",
      "photo of b, 4k",
    ]);
  });

  it("selects from start_line, at most max_prompts (0 = all)", () => {
    const text = "1\n2\n3\n4\n5";
    expect(promptsFromText(text, { ...opts, start_line: 2, max_prompts: 2 })).toEqual(["2", "3"]);
    expect(promptsFromText(text, { ...opts, start_line: 4, max_prompts: 0 })).toEqual(["4", "5"]);
    expect(promptsFromText(text, { ...opts, start_line: 9, max_prompts: 3 })).toEqual([]);
    expect(promptsFromText(text, { ...opts, max_prompts: 1 })).toEqual(["1"]);
  });

  it("understands \\r\\n and \\r line breaks and a missing final newline", () => {
    expect(promptsFromText("a\r\nb\rc", opts)).toEqual(["a", "b", "c"]);
    expect(promptsFromText("", opts)).toEqual([]);
    expect(promptsFromText("\n", opts)).toEqual([""]);
  });

  it("strips exactly Python's whitespace", () => {
    expect(promptsFromText("\u3000x\u0085\n\ufeffy", opts)).toEqual(["x", "\ufeffy"]);
  });
});
