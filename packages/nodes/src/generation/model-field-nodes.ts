/**
 * Nodes that pick or adjust model fields without running a model: `vae_loader`, `clip_skip`, `model_identifier`
 * and `scheduler`.
 */
import {
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  ModelIdentifierField,
  OutputField,
  SCHEDULER_NAMES,
  z,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { SchedulerOutput } from "../metadata/metadata-nodes.js";
import { VAEModelOutput } from "./model-outputs.js";

/** `clip_skip_output`: `{clip}`. */
export const CLIPSkipInvocationOutput = defineOutput({
  type: "clip_skip_output",
  schemaName: "CLIPSkipInvocationOutput",
  description: "CLIP skip node output",
  fields: {
    clip: OutputField(CLIPField.nullable(), {
      default: null,
      title: "CLIP",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
  },
});

/** `model_identifier_output`: `{model}`. */
export const ModelIdentifierOutput = defineOutput({
  type: "model_identifier_output",
  description: "Model identifier output",
  fields: { model: OutputField(ModelIdentifierField, { title: "Model", description: "Model identifier" }) },
});

/** `vae_loader`: a standalone VAE model as a VAE field. */
export const VAELoaderInvocation = defineInvocation({
  type: "vae_loader",
  schemaName: "VAELoaderInvocation",
  title: "VAE Model - SD1.5, SD2, SDXL, SD3, FLUX",
  tags: ["vae", "model"],
  category: "model",
  version: "1.0.4",
  description: "Loads a VAE model, outputting a VaeLoaderOutput",
  inputs: {
    vae_model: InputField(ModelIdentifierField, {
      title: "VAE",
      description: "VAE model to load",
      ui_model_base: ["sd-1", "sd-2", "sdxl", "sd-3", "flux", "flux2"],
      ui_model_type: "vae",
    }),
  },
  output: VAEModelOutput,
  async invoke(context) {
    const model = this.vae_model;
    if (!(await context.models.exists(model.key)))
      failField(this, "vae_model", `names no installed model (key ${model.key})`, model);
    return { vae: { vae: model, seamless_axes: [] } };
  },
});

/** `clip_skip`: adds `skipped_layers` to the CLIP field's count (prompt nodes then use an earlier layer). */
export const CLIPSkipInvocation = defineInvocation({
  type: "clip_skip",
  schemaName: "CLIPSkipInvocation",
  title: "Apply CLIP Skip - SD1.5, SDXL",
  tags: ["clipskip", "clip", "skip"],
  category: "prompt",
  version: "1.1.1",
  description: "Skip layers in clip text_encoder model.",
  inputs: {
    clip: InputField(CLIPField, {
      input: "connection",
      title: "CLIP",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
    skipped_layers: InputField(z.number().int().gte(0), {
      default: 0,
      description: "Number of layers to skip in text encoder",
    }),
  },
  output: CLIPSkipInvocationOutput,
  invoke() {
    const clip = this.clip;
    return { clip: { ...clip, skipped_layers: clip.skipped_layers + this.skipped_layers } };
  },
});

/** `model_identifier`: any installed model's identifier. */
export const ModelIdentifierInvocation = defineInvocation({
  type: "model_identifier",
  title: "Any Model",
  tags: ["model"],
  category: "model",
  version: "1.0.1",
  description:
    "Selects any model, outputting it its identifier. Be careful with this one! The identifier will be accepted as\n" +
    "input for any model, even if the model types don't match. If you connect this to a mismatched input, you'll get an\n" +
    "error.",
  inputs: {
    model: InputField(ModelIdentifierField, { title: "Model", description: "The model to select" }),
  },
  output: ModelIdentifierOutput,
  async invoke(context) {
    const model = this.model;
    if (!(await context.models.exists(model.key)))
      failField(this, "model", `names no installed model (key ${model.key})`, model);
    return { model };
  },
});

/** `scheduler`: passes a scheduler name on. */
export const SchedulerInvocation = defineInvocation({
  type: "scheduler",
  title: "Scheduler",
  tags: ["scheduler"],
  category: "latents",
  version: "1.0.0",
  description: "Selects a scheduler.",
  inputs: {
    scheduler: InputField(z.enum(SCHEDULER_NAMES), {
      default: "euler",
      description: "Scheduler to use during inference",
      ui_type: "SchedulerField",
    }),
  },
  output: SchedulerOutput,
  invoke() {
    return { scheduler: this.scheduler };
  },
});
