/**
 * `prompt_template`: a style preset's templates applied to both prompts, read through the context's style-preset
 * service; typed errors where there is no service or no preset.
 */
import { AtelierError, runInvocation, type AnyInvocationDefinition } from "@atelier/core";
import { describe, expect, it } from "vitest";
import {
  applyPromptTemplate,
  PromptTemplateInvocation,
  type StylePresetRecord,
} from "../../src/prompts/prompt-template-node.js";
import { createTestContext } from "../support/test-context.js";

const PRESETS: Record<string, StylePresetRecord> = {
  photo: {
    id: "photo",
    name: "Photography",
    preset_data: { positive_prompt: "a photo of {prompt}, 35mm", negative_prompt: "{prompt}, blurry, {prompt}" },
  },
  fixed: { id: "fixed", name: "No placeholder", preset_data: { positive_prompt: "watercolor", negative_prompt: "" } },
};

function contextWithPresets() {
  const ctx = createTestContext();
  return Object.assign(ctx, {
    stylePresets: {
      async get(id: string) {
        const preset = PRESETS[id];
        if (!preset) throw new AtelierError("style_preset_not_found", `no preset ${id}`, { status: 404 });
        return preset;
      },
    },
  });
}

const run = (fields: Record<string, unknown>, ctx = contextWithPresets()) =>
  runInvocation(
    PromptTemplateInvocation as unknown as AnyInvocationDefinition,
    { id: "tpl", type: "prompt_template", ...fields },
    ctx,
  );

describe("applyPromptTemplate", () => {
  it("replaces every placeholder literally and leaves other braces alone", () => {
    expect(applyPromptTemplate("{prompt} and {prompt}", "cat")).toBe("cat and cat");
    expect(applyPromptTemplate("{Prompt} {prompts} {}", "x")).toBe("{Prompt} {prompts} {}");
    expect(applyPromptTemplate("a {prompt}", "$& {prompt}")).toBe("a $& {prompt}");
    expect(applyPromptTemplate("", "cat")).toBe("");
  });
});

describe("prompt_template", () => {
  it("applies the preset's positive and negative templates", async () => {
    expect(
      await run({ style_preset: { style_preset_id: "photo" }, positive_prompt: "a cat", negative_prompt: "dog" }),
    ).toEqual({
      type: "prompt_template_output",
      positive_prompt: "a photo of a cat, 35mm",
      negative_prompt: "dog, blurry, dog",
    });
  });

  it("handles empty prompts and templates without a placeholder", async () => {
    expect(await run({ style_preset: { style_preset_id: "photo" } })).toMatchObject({
      positive_prompt: "a photo of , 35mm",
      negative_prompt: ", blurry, ",
    });
    expect(await run({ style_preset: { style_preset_id: "fixed" }, positive_prompt: "ignored" })).toMatchObject({
      positive_prompt: "watercolor",
      negative_prompt: "",
    });
  });

  it("fails naming the node and field for an unknown preset, a missing preset or no preset service", async () => {
    await expect(run({ style_preset: { style_preset_id: "nope" } })).rejects.toMatchObject({
      code: "style_preset_not_found",
      details: { node_id: "tpl", field: "style_preset" },
    });
    await expect(run({})).rejects.toMatchObject({ details: { field: "style_preset" } });
    await expect(
      run({ style_preset: { style_preset_id: "photo" } }, createTestContext() as never),
    ).rejects.toMatchObject({
      code: "style_presets_unavailable",
    });
  });
});
