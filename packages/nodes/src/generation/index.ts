/** Text-to-image on ONNX pipelines: model loader, prompt encoder, denoiser and VAE decode nodes. */
import { CompelInvocation } from "./compel-node.js";
import { FLUX_NODES } from "./flux-nodes.js";
import { DenoiseLatentsInvocation } from "./denoise-latents-node.js";
import { LatentsToImageInvocation } from "./latents-to-image-node.js";
import { MainModelLoaderInvocation } from "./model-loader-nodes.js";
import { LORA_NODES } from "./lora-loader-nodes.js";
import { SD_SUPPORT_NODES } from "./sd-support-nodes.js";
import { SDXLCompelPromptInvocation, SDXLRefinerCompelPromptInvocation } from "./sdxl-compel-nodes.js";
import { SDXLModelLoaderInvocation, SDXLRefinerModelLoaderInvocation } from "./sdxl-model-loader-nodes.js";

export * from "./generation-errors.js";
export * from "./diffusion-toolkit.js";
export * from "./onnx-parts.js";
export * from "./model-loader-nodes.js";
export * from "./compel-node.js";
export * from "./denoise-latents-node.js";
export * from "./latents-to-image-node.js";

/** The generation nodes, ready to register. */
export const GENERATION_NODES = [
  MainModelLoaderInvocation,
  CompelInvocation,
  DenoiseLatentsInvocation,
  LatentsToImageInvocation,
  SDXLModelLoaderInvocation,
  SDXLRefinerModelLoaderInvocation,
  SDXLCompelPromptInvocation,
  SDXLRefinerCompelPromptInvocation,
  ...LORA_NODES,
  ...FLUX_NODES,
  ...SD_SUPPORT_NODES,
] as const;
export * from "./lora-patching.js";
export * from "./sdxl-model-loader-nodes.js";
export * from "./sdxl-compel-nodes.js";
export * from "./lora-loader-nodes.js";
export * from "./flux-nodes.js";
export * from "./sd-support-nodes.js";
export * from "./model-outputs.js";
