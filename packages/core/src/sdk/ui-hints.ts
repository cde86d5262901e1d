import { z } from "zod";
import { namedSchema } from "./named-schemas.js";

// The UI vocabulary InvokeAI's workflow editor reads from the JSON Schema of every node.

/** `ui_type` values a node author may use (InvokeAI's non-deprecated UIType members). */
export const UI_TYPES = [
  "SchedulerField",
  "AnyField",
  "SavedWorkflowField",
  "CollectionField",
  "CollectionItemField",
  "IsIntermediate",
] as const;
/** A `ui_type` hint. */
export type UIType = (typeof UI_TYPES)[number];
/** zod schema of UIType (named `UIType`). */
export const UITypeSchema = namedSchema(
  "UIType",
  z.enum(UI_TYPES),
  "Type hints for the UI for situations in which the field type is not enough to infer the correct UI type.",
);

/** `ui_component` values. */
export const UI_COMPONENTS = ["none", "textarea", "slider", "video-frame-index"] as const;
/** A `ui_component` hint: which widget renders the field. */
export type UIComponent = (typeof UI_COMPONENTS)[number];
/** zod schema of UIComponent (named `UIComponent`). */
export const UIComponentSchema = namedSchema(
  "UIComponent",
  z.enum(UI_COMPONENTS),
  "The type of UI component to use for a field, used to override the default components, which are inferred from the field type.",
);

/** Node classifications. */
export const CLASSIFICATIONS = ["stable", "beta", "prototype", "deprecated", "internal", "special"] as const;
/** How stable a node is (`classification` in the node schema). */
export type Classification = (typeof CLASSIFICATIONS)[number];
/** zod schema of Classification (named `Classification`). */
export const ClassificationSchema = namedSchema(
  "Classification",
  z.enum(CLASSIFICATIONS),
  "The classification of an Invocation.",
);

/** How a value may reach an input (InvokeAI's `Input` enum). */
export const INPUT_KINDS = ["connection", "direct", "any"] as const;
/** zod schema of the `input` hint (named `Input`). */
export const InputKindSchema = namedSchema("Input", z.enum(INPUT_KINDS), "The type of input a field accepts.");

/** InvokeAI's field kinds. */
export const FIELD_KINDS = ["input", "output", "internal", "node_attribute"] as const;
/** zod schema of `field_kind` (named `FieldKind`). */
export const FieldKindSchema = namedSchema("FieldKind", z.enum(FIELD_KINDS), "The kind of field.");
