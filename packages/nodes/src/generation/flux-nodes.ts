/** The FLUX text-to-image / image-to-image nodes on ONNX pipelines, and the helpers they are built from. */
import { FluxDenoiseInvocation } from "./flux-denoise-node.js";
import { FluxModelLoaderInvocation } from "./flux-model-loader-node.js";
import { FluxTextEncoderInvocation } from "./flux-text-encoder-node.js";
import { FluxVaeDecodeInvocation, FluxVaeEncodeInvocation } from "./flux-vae-nodes.js";

export * from "./flux-denoise-node.js";
export * from "./flux-field-types.js";
export * from "./flux-model-loader-node.js";
export * from "./flux-noise.js";
export * from "./flux-sampling.js";
export * from "./flux-text-encoder-node.js";
export * from "./flux-vae-nodes.js";

/** The FLUX nodes, ready to register. */
export const FLUX_NODES = [
  FluxModelLoaderInvocation,
  FluxTextEncoderInvocation,
  FluxDenoiseInvocation,
  FluxVaeDecodeInvocation,
  FluxVaeEncodeInvocation,
] as const;
