/**
 * `sdxl_model_loader` and `sdxl_refiner_model_loader`: split an SDXL (or SDXL refiner) main model into the UNet,
 * CLIP and VAE fields later nodes load. SDXL has two text encoders: `clip` (tokenizer + text_encoder) and `clip2`
 * (tokenizer_2 + text_encoder_2); the refiner has only the second.
 */
import {
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  ModelIdentifierField,
  OutputField,
  UNetField,
  VAEField,
} from "@atelier/core";
import { mainModelParts } from "./model-loader-nodes.js";

const CLIP_DESCRIPTION = "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count";

/** `sdxl_model_loader_output`: `{unet, clip, clip2, vae}`. */
export const SDXLModelLoaderOutput = defineOutput({
  type: "sdxl_model_loader_output",
  schemaName: "SDXLModelLoaderOutput",
  description: "SDXL base model loader output",
  fields: {
    unet: OutputField(UNetField, { title: "UNet", description: "UNet (scheduler, LoRAs)" }),
    clip: OutputField(CLIPField, { title: "CLIP 1", description: CLIP_DESCRIPTION }),
    clip2: OutputField(CLIPField, { title: "CLIP 2", description: CLIP_DESCRIPTION }),
    vae: OutputField(VAEField, { title: "VAE", description: "VAE" }),
  },
});

/** `sdxl_refiner_model_loader_output`: `{unet, clip2, vae}`. */
export const SDXLRefinerModelLoaderOutput = defineOutput({
  type: "sdxl_refiner_model_loader_output",
  schemaName: "SDXLRefinerModelLoaderOutput",
  description: "SDXL refiner model loader output",
  fields: {
    unet: OutputField(UNetField, { title: "UNet", description: "UNet (scheduler, LoRAs)" }),
    clip2: OutputField(CLIPField, { title: "CLIP 2", description: CLIP_DESCRIPTION }),
    vae: OutputField(VAEField, { title: "VAE", description: "VAE" }),
  },
});

/** `sdxl_model_loader`: an SDXL base model's unet+scheduler, both CLIP text encoders and vae, by identifier. */
export const SDXLModelLoaderInvocation = defineInvocation({
  type: "sdxl_model_loader",
  schemaName: "SDXLModelLoaderInvocation",
  title: "Main Model - SDXL",
  tags: ["model", "sdxl"],
  category: "model",
  version: "1.0.4",
  description: "Loads an sdxl base model, outputting its submodels.",
  inputs: {
    model: InputField(ModelIdentifierField, {
      description: "SDXL Main model (UNet, VAE, CLIP1, CLIP2) to load",
      ui_model_base: ["sdxl"],
      ui_model_type: "main",
    }),
  },
  output: SDXLModelLoaderOutput,
  async invoke(context) {
    return mainModelParts(context, this, this.model);
  },
});

/** `sdxl_refiner_model_loader`: an SDXL refiner's unet+scheduler, its one CLIP (the second encoder) and vae. */
export const SDXLRefinerModelLoaderInvocation = defineInvocation({
  type: "sdxl_refiner_model_loader",
  schemaName: "SDXLRefinerModelLoaderInvocation",
  title: "Refiner Model - SDXL",
  tags: ["model", "sdxl", "refiner"],
  category: "model",
  version: "1.0.4",
  description: "Loads an sdxl refiner model, outputting its submodels.",
  inputs: {
    model: InputField(ModelIdentifierField, {
      // InvokeAI's typo ("Modde") is kept: the description is part of the schema clients compare.
      description: "SDXL Refiner Main Modde (UNet, VAE, CLIP2) to load",
      ui_model_base: ["sdxl-refiner"],
      ui_model_type: "main",
    }),
  },
  output: SDXLRefinerModelLoaderOutput,
  async invoke(context) {
    const { unet, clip2, vae } = await mainModelParts(context, this, this.model);
    return { unet, clip2, vae };
  },
});
