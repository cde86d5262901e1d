/**
 * The SD nodes around the text-to-image core: image → latents, model field pickers (VAE, CLIP skip, any model,
 * scheduler) and inpainting masks, listed for registration.
 */
import { CreateDenoiseMaskInvocation, CreateGradientMaskInvocation } from "./denoise-mask-nodes.js";
import { ImageToLatentsInvocation } from "./image-to-latents-node.js";
import {
  CLIPSkipInvocation,
  ModelIdentifierInvocation,
  SchedulerInvocation,
  VAELoaderInvocation,
} from "./model-field-nodes.js";

export * from "./compel-syntax.js";
export * from "./compel-embeddings.js";
export * from "./clip-text-encoder.js";
export * from "./tiled-vae.js";
export * from "./image-to-latents-node.js";
export * from "./model-field-nodes.js";
export * from "./denoise-mask-nodes.js";

/** `i2l`, `vae_loader`, `clip_skip`, `model_identifier`, `scheduler`, `create_denoise_mask`, `create_gradient_mask`. */
export const SD_SUPPORT_NODES = [
  ImageToLatentsInvocation,
  VAELoaderInvocation,
  CLIPSkipInvocation,
  ModelIdentifierInvocation,
  SchedulerInvocation,
  CreateDenoiseMaskInvocation,
  CreateGradientMaskInvocation,
] as const;
