/**
 * Outputs shared by loader nodes and the metadata extractors that recreate them (InvokeAI's VAEOutput,
 * LoRALoaderOutput, SDXLLoRALoaderOutput): one definition per output type.
 */
import { CLIPField, defineOutput, OutputField, UNetField, VAEField } from "@atelier/core";

const UNET_DESCRIPTION = "UNet (scheduler, LoRAs)";
const CLIP_DESCRIPTION = "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count";

/** `vae_output`: `{vae}` (InvokeAI's VAEOutput). */
export const VAEModelOutput = defineOutput({
  type: "vae_output",
  schemaName: "VAEOutput",
  description: "Base class for invocations that output a VAE field",
  fields: { vae: OutputField(VAEField, { title: "VAE", description: "VAE" }) },
});

/** `lora_loader_output`: the UNet and CLIP with the LoRA appended (null where none came in). */
export const LoRALoaderOutput = defineOutput({
  type: "lora_loader_output",
  schemaName: "LoRALoaderOutput",
  description: "Model loader output",
  fields: {
    unet: OutputField(UNetField.nullable(), { default: null, title: "UNet", description: UNET_DESCRIPTION }),
    clip: OutputField(CLIPField.nullable(), { default: null, title: "CLIP", description: CLIP_DESCRIPTION }),
  },
});

/** `sdxl_lora_loader_output`: the UNet and both CLIPs with the LoRA appended. */
export const SDXLLoRALoaderOutput = defineOutput({
  type: "sdxl_lora_loader_output",
  schemaName: "SDXLLoRALoaderOutput",
  description: "SDXL LoRA Loader Output",
  fields: {
    unet: OutputField(UNetField.nullable(), { default: null, title: "UNet", description: UNET_DESCRIPTION }),
    clip: OutputField(CLIPField.nullable(), { default: null, title: "CLIP 1", description: CLIP_DESCRIPTION }),
    clip2: OutputField(CLIPField.nullable(), { default: null, title: "CLIP 2", description: CLIP_DESCRIPTION }),
  },
});
