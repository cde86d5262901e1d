import { defineOutput, OutputField, TensorField, z } from "@atelier/core";

/** `mask_output`: a boolean mask tensor of shape [1, height, width] and its size. */
export const MaskOutput = defineOutput({
  type: "mask_output",
  description: "A torch mask tensor.",
  fields: {
    mask: OutputField(TensorField, { description: "The mask." }),
    width: OutputField(z.number().int(), { description: "The width of the mask in pixels." }),
    height: OutputField(z.number().int(), { description: "The height of the mask in pixels." }),
  },
});
