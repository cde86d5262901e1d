/** Text-to-image on ONNX pipelines: model loader, prompt encoder, denoiser and VAE decode nodes. */
import { CompelInvocation } from "./compel-node.js";
import { DenoiseLatentsInvocation } from "./denoise-latents-node.js";
import { LatentsToImageInvocation } from "./latents-to-image-node.js";
import { MainModelLoaderInvocation } from "./model-loader-nodes.js";

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
] as const;
export * from "./lora-patching.js";
