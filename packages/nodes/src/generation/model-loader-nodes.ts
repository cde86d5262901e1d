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
  type CLIPFieldValue,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type SubModelType,
  type UNetFieldValue,
  type VAEFieldValue,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";

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

/** The submodel fields of a main model, as its loader outputs them (no LoRAs, no skipped layers; CLIP 2 for SDXL). */
export function mainModelFields(model: ModelIdentifierFieldValue): {
  unet: UNetFieldValue;
  clip: CLIPFieldValue;
  clip2: CLIPFieldValue;
  vae: VAEFieldValue;
} {
  const clip = (tokenizer: SubModelType, textEncoder: SubModelType): CLIPFieldValue => ({
    tokenizer: submodelOf(model, tokenizer),
    text_encoder: submodelOf(model, textEncoder),
    skipped_layers: 0,
    loras: [],
  });
  return {
    unet: {
      unet: submodelOf(model, "unet"),
      scheduler: submodelOf(model, "scheduler"),
      loras: [],
      seamless_axes: [],
      freeu_config: null,
    },
    clip: clip("tokenizer", "text_encoder"),
    clip2: clip("tokenizer_2", "text_encoder_2"),
    vae: { vae: submodelOf(model, "vae"), seamless_axes: [] },
  };
}

/** A loader's fields, after checking that the model is installed. */
export async function mainModelParts(
  context: InvocationContext,
  node: NodeRef,
  model: ModelIdentifierFieldValue,
): Promise<ReturnType<typeof mainModelFields>> {
  if (!(await context.models.exists(model.key)))
    failField(node, "model", `names no installed model (key ${model.key})`, model);
  return mainModelFields(model);
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
    const { unet, clip, vae } = await mainModelParts(context, this, this.model);
    return { unet, clip, vae };
  },
});
