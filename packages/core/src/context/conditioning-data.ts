import type { Tensor } from "../tensor.js";

// What text encoders produce and denoisers consume (InvokeAI's ConditioningFieldData). Tensor names keep InvokeAI's
// attribute names, since the object store writes them as the keys of a safetensors file.

/** SD1/SD2 conditioning: the text embeddings. */
export interface BasicConditioningInfo {
  readonly kind: "basic";
  readonly embeds: Tensor;
}

/** SDXL conditioning: embeddings, pooled embeddings and the size/crop conditioning ids. */
export interface SDXLConditioningInfo {
  readonly kind: "sdxl";
  readonly embeds: Tensor;
  readonly pooled_embeds: Tensor;
  readonly add_time_ids: Tensor;
}

/** FLUX conditioning: pooled CLIP embeddings and T5 embeddings. */
export interface FLUXConditioningInfo {
  readonly kind: "flux";
  readonly clip_embeds: Tensor;
  readonly t5_embeds: Tensor;
}

/** SD3 conditioning: CLIP-L and CLIP-G (pooled and per token) and optional T5 embeddings. */
export interface SD3ConditioningInfo {
  readonly kind: "sd3";
  readonly clip_l_pooled_embeds: Tensor;
  readonly clip_l_embeds: Tensor;
  readonly clip_g_pooled_embeds: Tensor;
  readonly clip_g_embeds: Tensor;
  readonly t5_embeds: Tensor | null;
}

/** One conditioning entry of any model family. */
export type ConditioningInfo =
  BasicConditioningInfo | SDXLConditioningInfo | FLUXConditioningInfo | SD3ConditioningInfo;

/** A stored conditioning object: a list of entries of one model family. */
export interface ConditioningFieldData {
  readonly conditionings:
    | readonly BasicConditioningInfo[]
    | readonly SDXLConditioningInfo[]
    | readonly FLUXConditioningInfo[]
    | readonly SD3ConditioningInfo[];
}
