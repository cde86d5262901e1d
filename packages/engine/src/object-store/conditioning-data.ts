import type { ConditioningInfo } from "@atelier/core";

/** The model family tag of one conditioning entry (core's `ConditioningInfo["kind"]`). */
export type ConditioningKind = ConditioningInfo["kind"];

/**
 * Tensor fields of each kind, as InvokeAI names them: required ones must be tensors, optional ones may be null.
 * The codec walks entries generically by these names, so adding a family means adding a line here (and the type
 * in core's `context/conditioning-data.ts`).
 */
export const CONDITIONING_FIELDS: Readonly<
  Record<ConditioningKind, { readonly required: readonly string[]; readonly optional: readonly string[] }>
> = {
  basic: { required: ["embeds"], optional: [] },
  sdxl: { required: ["embeds", "pooled_embeds", "add_time_ids"], optional: [] },
  flux: { required: ["clip_embeds", "t5_embeds"], optional: [] },
  sd3: {
    required: ["clip_l_pooled_embeds", "clip_l_embeds", "clip_g_pooled_embeds", "clip_g_embeds"],
    optional: ["t5_embeds"],
  },
};
