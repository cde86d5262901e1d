/**
 * The control-adapter fields that InvokeAI's denoisers take (`ControlField`, `IPAdapterField`, `T2IAdapterField`),
 * as the metadata extractors build them from recorded metadata.
 */
import { ImageField, ModelIdentifierField, namedSchema, TensorField, z } from "@atelier/core";

const weight = (what: string, dot = "") =>
  z
    .union([z.number(), z.array(z.number())])
    .default(1)
    .describe(`The weight given to the ${what}${dot}`);
const stepPercent = (when: "first" | "last", what: string, d: number) =>
  z.number().gte(0).lte(1).default(d).describe(`When the ${what} is ${when} applied (% of total steps)`);
const resizeMode = () =>
  z
    .enum(["just_resize", "crop_resize", "fill_resize", "just_resize_simple"])
    .default("just_resize")
    .describe("The resize mode to use");

/** `ControlField`: a ControlNet with its image and settings. */
export const ControlField = namedSchema(
  "ControlField",
  z.object({
    image: ImageField.describe("The control image"),
    control_model: ModelIdentifierField.describe("The ControlNet model to use"),
    control_weight: weight("ControlNet"),
    begin_step_percent: stepPercent("first", "ControlNet", 0),
    end_step_percent: stepPercent("last", "ControlNet", 1),
    control_mode: z
      .enum(["balanced", "more_prompt", "more_control", "unbalanced"])
      .default("balanced")
      .describe("The control mode to use"),
    resize_mode: resizeMode(),
  }),
);

/** `IPAdapterField`: an IP-Adapter with its image prompt(s), image encoder and settings. */
export const IPAdapterField = namedSchema(
  "IPAdapterField",
  z.object({
    image: z.union([ImageField, z.array(ImageField)]).describe("The IP-Adapter image prompt(s)."),
    ip_adapter_model: ModelIdentifierField.describe("The IP-Adapter model to use."),
    image_encoder_model: ModelIdentifierField.describe("The name of the CLIP image encoder model."),
    weight: weight("IP-Adapter", "."),
    target_blocks: z.array(z.string()).default([]).describe("The IP Adapter blocks to apply"),
    method: z.string().default("full").describe("Weight apply method"),
    begin_step_percent: stepPercent("first", "IP-Adapter", 0),
    end_step_percent: stepPercent("last", "IP-Adapter", 1),
    mask: TensorField.nullable()
      .default(null)
      .describe(
        "The bool mask associated with this IP-Adapter. Excluded regions should be set to False, included regions should be set to True.",
      ),
  }),
);

/** `T2IAdapterField`: a T2I-Adapter with its image and settings. */
export const T2IAdapterField = namedSchema(
  "T2IAdapterField",
  z.object({
    image: ImageField.describe("The T2I-Adapter image prompt."),
    t2i_adapter_model: ModelIdentifierField.describe("The T2I-Adapter model to use."),
    weight: weight("T2I-Adapter"),
    begin_step_percent: stepPercent("first", "T2I-Adapter", 0),
    end_step_percent: stepPercent("last", "T2I-Adapter", 1),
    resize_mode: resizeMode(),
  }),
);

/** Wire value of a ControlField. */
export type ControlFieldValue = z.output<typeof ControlField>;
/** Wire value of an IPAdapterField. */
export type IPAdapterFieldValue = z.output<typeof IPAdapterField>;
/** Wire value of a T2IAdapterField. */
export type T2IAdapterFieldValue = z.output<typeof T2IAdapterField>;
