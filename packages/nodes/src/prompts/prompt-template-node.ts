/**
 * InvokeAI's `prompt_template` (`invocations/prompt_template.py`): a style preset's positive and negative templates
 * with every `{prompt}` replaced by the node's prompts.
 *
 * The node reads presets through the context's optional `stylePresets` member (InvokeAI's `context.style_presets`)
 * and fails with a typed error where the engine does not provide it.
 */
import {
  AtelierError,
  defineInvocation,
  defineOutput,
  InputField,
  namedSchema,
  OutputField,
  z,
  type InvocationContext,
  type StylePresetRecord,
  type StylePresetsInterface,
} from "@atelier/core";

// Moved to core's InvocationContext; re-exported so that existing imports from this module keep working.
export type { StylePresetData, StylePresetRecord, StylePresetsInterface } from "@atelier/core";

/** `StylePresetField`: a style preset, by id. */
export const StylePresetField = namedSchema(
  "StylePresetField",
  z.object({ style_preset_id: z.string().describe("The id of the style preset") }),
  "A style preset primitive field",
);

/** A style preset cannot be read: no preset service, or no preset with the id. */
export class StylePresetError extends AtelierError {
  constructor(code: "style_presets_unavailable" | "style_preset_not_found", message: string, details: object) {
    super(code, message, { status: code === "style_preset_not_found" ? 404 : 422, details: { ...details } });
  }
}

/** The style-preset service of a context, when the engine provides one. */
export function stylePresetsOf(context: InvocationContext): StylePresetsInterface | undefined {
  // Checked at run time as well: a context built by other code (tests, node packs) may carry anything here.
  const candidate: unknown = context.stylePresets;
  return typeof candidate === "object" &&
    candidate !== null &&
    typeof (candidate as StylePresetsInterface).get === "function"
    ? (candidate as StylePresetsInterface)
    : undefined;
}

/** A template with every `{prompt}` replaced by `prompt` (Python's `str.replace`: literal, all occurrences). */
export function applyPromptTemplate(template: string, prompt: string): string {
  return template.split("{prompt}").join(prompt);
}

/** `prompt_template_output`: the two prompts with the template applied. */
export const PromptTemplateOutput = defineOutput({
  type: "prompt_template_output",
  description: "Output for the Prompt Template node",
  fields: {
    positive_prompt: OutputField(z.string(), { description: "The positive prompt with the template applied" }),
    negative_prompt: OutputField(z.string(), { description: "The negative prompt with the template applied" }),
  },
});

/** `prompt_template`: applies a style preset's templates to the positive and negative prompts. */
export const PromptTemplateInvocation = defineInvocation({
  type: "prompt_template",
  title: "Prompt Template",
  tags: ["prompt", "template", "style", "preset"],
  category: "prompt",
  version: "1.0.0",
  description:
    "Applies a Style Preset template to positive and negative prompts.\n\nSelect a Style Preset and provide positive/negative prompts. The node replaces\n{prompt} placeholders in the template with your input prompts.",
  inputs: {
    style_preset: InputField(StylePresetField, { description: "The Style Preset to use as a template" }),
    positive_prompt: InputField(z.string(), {
      default: "",
      description: "The positive prompt to insert into the template's {prompt} placeholder",
      ui_component: "textarea",
    }),
    negative_prompt: InputField(z.string(), {
      default: "",
      description: "The negative prompt to insert into the template's {prompt} placeholder",
      ui_component: "textarea",
    }),
  },
  output: PromptTemplateOutput,
  async invoke(context) {
    const id = this.style_preset.style_preset_id;
    const where = { node_type: this.type, node_id: this.id, field: "style_preset", style_preset_id: id };
    const presets = stylePresetsOf(context);
    if (!presets) {
      throw new StylePresetError(
        "style_presets_unavailable",
        `Node prompt_template (id "${this.id}"): this engine stores no style presets, so style preset ${JSON.stringify(id)} cannot be read`,
        where,
      );
    }
    let preset: StylePresetRecord | null;
    try {
      preset = await presets.get(id);
    } catch (err) {
      if (!(err instanceof AtelierError && err.status === 404)) throw err;
      preset = null;
    }
    if (!preset) {
      throw new StylePresetError(
        "style_preset_not_found",
        `Node prompt_template (id "${this.id}"): field style_preset names no style preset (${JSON.stringify(id)})`,
        where,
      );
    }
    return {
      positive_prompt: applyPromptTemplate(preset.preset_data.positive_prompt, this.positive_prompt),
      negative_prompt: applyPromptTemplate(preset.preset_data.negative_prompt, this.negative_prompt),
    };
  },
});
