/**
 * InvokeAI's prompt nodes (`invocations/prompt.py`): `dynamic_prompt` and `prompt_from_file`.
 * (`prompt_template` lives in prompt-template-node.ts.)
 */
import { readFile } from "node:fs/promises";
import { defineInvocation, InputField, StringCollectionOutput, z } from "@atelier/core";
import { failField, withFieldErrors } from "../logic/field-errors.js";
import { generateCombinatorialPrompts, generateRandomPrompts } from "./dynamic-prompts.js";
import { promptsFromText } from "./prompts-from-file.js";
import { PromptTemplateInvocation } from "./prompt-template-node.js";

/** `dynamic_prompt`: expands a dynamicprompts template into prompts. Never cached (random mode). */
export const DynamicPromptInvocation = defineInvocation({
  type: "dynamic_prompt",
  title: "Dynamic Prompt",
  tags: ["prompt", "collection"],
  category: "prompt",
  version: "1.0.1",
  useCache: false,
  description: "Parses a prompt using adieyal/dynamicprompts' random or combinatorial generator",
  inputs: {
    prompt: InputField(z.string(), {
      description: "The prompt to parse with dynamicprompts",
      ui_component: "textarea",
    }),
    max_prompts: InputField(z.number().int(), { default: 1, description: "The number of prompts to generate" }),
    combinatorial: InputField(z.boolean(), {
      default: false,
      description: "Whether to use the combinatorial generator",
    }),
  },
  output: StringCollectionOutput,
  invoke() {
    const values = { prompt: this.prompt, max_prompts: this.max_prompts };
    const collection = withFieldErrors(this, values, () =>
      this.combinatorial
        ? generateCombinatorialPrompts(this.prompt ?? "", this.max_prompts)
        : generateRandomPrompts(this.prompt ?? "", this.max_prompts),
    );
    return { collection };
  },
});

/** `prompt_from_file`: one prompt per line of a UTF-8 text file. */
export const PromptsFromFileInvocation = defineInvocation({
  type: "prompt_from_file",
  schemaName: "PromptsFromFileInvocation",
  title: "Prompts from File",
  tags: ["prompt", "file"],
  category: "prompt",
  version: "1.0.2",
  description: "Loads prompts from a text file",
  inputs: {
    file_path: InputField(z.string(), { description: "Path to prompt text file" }),
    pre_prompt: InputField(z.string(), {
      default: null,
      description: "String to prepend to each prompt",
      ui_component: "textarea",
    }),
    post_prompt: InputField(z.string(), {
      default: null,
      description: "String to append to each prompt",
      ui_component: "textarea",
    }),
    start_line: InputField(z.number().int().gte(1), {
      default: 1,
      description: "Line in the file to start start from",
    }),
    max_prompts: InputField(z.number().int().gte(0), {
      default: 1,
      description: "Max lines to read from file (0=all)",
    }),
  },
  output: StringCollectionOutput,
  async invoke() {
    const path = this.file_path ?? "";
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return failField(
        this,
        "file_path",
        code === "ENOENT" ? "names no file" : `cannot be read (${code ?? "error"})`,
        path,
      );
    }
    return { collection: promptsFromText(text, this) };
  },
});

/** Every prompt node. */
export const PROMPT_NODES = [DynamicPromptInvocation, PromptsFromFileInvocation, PromptTemplateInvocation] as const;
