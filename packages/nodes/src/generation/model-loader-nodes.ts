/** `main_model_loader`: splits an SD1.5/SD2 main model into the UNet, CLIP and VAE fields later nodes load. */
import {
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  ModelIdentifierField,
  OutputField,
  UNetField,
  VAEField,
  type ModelIdentifierFieldValue,
  type SubModelType,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";

/** `model_loader_output`: `{unet, clip, vae}`. */
export const ModelLoaderOutput = defineOutput({
  type: "model_loader_output",
  description: "Model loader output",
  fields: {
    vae: OutputField(VAEField, { title: "VAE", description: "VAE" }),
    clip: OutputField(CLIPField, {
      title: "CLIP",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
    unet: OutputField(UNetField, { title: "UNet", description: "UNet (scheduler, LoRAs)" }),
  },
});

/** The identifier of one submodel of a main model (what InvokeAI's `model_copy(update={submodel_type})` makes). */
export function submodelOf(model: ModelIdentifierFieldValue, submodelType: SubModelType): ModelIdentifierFieldValue {
  return { ...model, submodel_type: submodelType };
}

/** `main_model_loader`: the main model's unet+scheduler, tokenizer+text_encoder and vae, by identifier. */
export const MainModelLoaderInvocation = defineInvocation({
  type: "main_model_loader",
  title: "Main Model - SD1.5, SD2",
  tags: ["model"],
  category: "model",
  version: "1.0.4",
  description: "Loads a main model, outputting its submodels.",
  inputs: {
    model: InputField(ModelIdentifierField, {
      description: "Main model (UNet, VAE, CLIP) to load",
      ui_model_base: ["sd-1", "sd-2"],
      ui_model_type: "main",
    }),
  },
  output: ModelLoaderOutput,
  async invoke(context) {
    const model = this.model;
    if (!(await context.models.exists(model.key)))
      failField(this, "model", `names no installed model (key ${model.key})`, model);
    return {
      unet: {
        unet: submodelOf(model, "unet"),
        scheduler: submodelOf(model, "scheduler"),
        loras: [],
        seamless_axes: [],
        freeu_config: null,
      },
      clip: {
        tokenizer: submodelOf(model, "tokenizer"),
        text_encoder: submodelOf(model, "text_encoder"),
        skipped_layers: 0,
        loras: [],
      },
      vae: { vae: submodelOf(model, "vae"), seamless_axes: [] },
    };
  },
});
