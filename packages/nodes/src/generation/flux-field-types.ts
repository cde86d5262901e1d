/**
 * InvokeAI's field models that only `flux_denoise` refers to (control LoRA, Redux, Fill, ControlNet, IP-Adapter,
 * Kontext), with their wire shapes, so that the node's schema and graphs carrying them match InvokeAI's.
 */
import { ImageField, ModelIdentifierField, namedSchema, TensorField, z } from "@atelier/core";

const stepPercent = (description: string, value: number) =>
  z.number().gte(0).lte(1).default(value).describe(description);

/** A control LoRA with its weight and structural image. */
export const ControlLoRAField = namedSchema(
  "ControlLoRAField",
  z.object({
    lora: ModelIdentifierField.describe("Info to load lora model"),
    weight: z.number().describe("Weight to apply to lora model"),
    img: ImageField.describe("Image to use in structural conditioning"),
  }),
);

/** A FLUX Redux image-conditioning tensor, with an optional regional mask. */
export const FluxReduxConditioningField = namedSchema(
  "FluxReduxConditioningField",
  z.object({
    conditioning: TensorField.describe("The Redux image conditioning tensor."),
    mask: TensorField.nullable()
      .default(null)
      .describe(
        "The mask associated with this conditioning tensor. Excluded regions should be set to False, included regions should be set to True.",
      ),
  }),
  "A FLUX Redux conditioning tensor primitive value",
);

/** A FLUX Fill reference image and inpaint mask. */
export const FluxFillConditioningField = namedSchema(
  "FluxFillConditioningField",
  z.object({
    image: ImageField.describe("The FLUX Fill reference image."),
    mask: TensorField.describe("The FLUX Fill inpaint mask."),
  }),
  "A FLUX Fill conditioning field.",
);

/** A FLUX ControlNet with its image, weight and step range. */
export const FluxControlNetField = namedSchema(
  "FluxControlNetField",
  z.object({
    image: ImageField.describe("The control image"),
    control_model: ModelIdentifierField.describe("The ControlNet model to use"),
    control_weight: z
      .union([z.number(), z.array(z.number())])
      .default(1)
      .describe("The weight given to the ControlNet"),
    begin_step_percent: stepPercent("When the ControlNet is first applied (% of total steps)", 0),
    end_step_percent: stepPercent("When the ControlNet is last applied (% of total steps)", 1),
    resize_mode: z
      .enum(["just_resize", "crop_resize", "fill_resize", "just_resize_simple"])
      .default("just_resize")
      .describe("The resize mode to use"),
    instantx_control_mode: z
      .number()
      .int()
      .nullable()
      .default(-1)
      .describe(
        "The control mode for InstantX ControlNet union models. Ignored for other ControlNet models. The standard mapping is: canny (0), tile (1), depth (2), blur (3), pose (4), gray (5), low quality (6). Negative values will be treated as 'None'.",
      ),
  }),
);

/** An IP-Adapter with its image prompt(s), encoder, weight and step range. */
export const IPAdapterField = namedSchema(
  "IPAdapterField",
  z.object({
    image: z.union([ImageField, z.array(ImageField)]).describe("The IP-Adapter image prompt(s)."),
    ip_adapter_model: ModelIdentifierField.describe("The IP-Adapter model to use."),
    image_encoder_model: ModelIdentifierField.describe("The name of the CLIP image encoder model."),
    weight: z
      .union([z.number(), z.array(z.number())])
      .default(1)
      .describe("The weight given to the IP-Adapter."),
    target_blocks: z.array(z.string()).default([]).describe("The IP Adapter blocks to apply"),
    method: z.string().default("full").describe("Weight apply method"),
    begin_step_percent: stepPercent("When the IP-Adapter is first applied (% of total steps)", 0),
    end_step_percent: stepPercent("When the IP-Adapter is last applied (% of total steps)", 1),
    mask: TensorField.nullable()
      .default(null)
      .describe(
        "The bool mask associated with this IP-Adapter. Excluded regions should be set to False, included regions should be set to True.",
      ),
  }),
);

/** A FLUX Kontext reference image. */
export const FluxKontextConditioningField = namedSchema(
  "FluxKontextConditioningField",
  z.object({ image: ImageField.describe("The Kontext reference image.") }),
  "A conditioning field for FLUX Kontext (reference image).",
);
