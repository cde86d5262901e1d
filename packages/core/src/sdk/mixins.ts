import { BoardField, MetadataField } from "./field-types.js";
import { InputField, internalFieldSpec, type InputFieldSpec } from "./field-specs.js";

/** A set of fields several nodes share (InvokeAI's `WithMetadata` / `WithBoard` base classes). */
export interface Mixin<F extends Readonly<Record<string, InputFieldSpec>> = Readonly<Record<string, InputFieldSpec>>> {
  readonly atelierKind: "mixin";
  readonly name: string;
  readonly fields: F;
}

/** Adds `metadata: MetadataField | null` (connection only): `context.images.save` embeds it in the PNG. */
export const WithMetadata = Object.freeze({
  atelierKind: "mixin" as const,
  name: "WithMetadata",
  fields: Object.freeze({
    metadata: internalFieldSpec(
      InputField(MetadataField, {
        default: null,
        input: "connection",
        description: "Optional metadata to be saved with the image",
        ui_hidden: false,
      }),
      "internal",
    ),
  }),
});

/** Adds `board: BoardField | null` (direct only): `context.images.save` puts the image on that board. */
export const WithBoard = Object.freeze({
  atelierKind: "mixin" as const,
  name: "WithBoard",
  fields: Object.freeze({
    board: internalFieldSpec(
      InputField(BoardField, {
        default: null,
        input: "direct",
        description: "The board to save the image to",
        ui_hidden: false,
      }),
      "internal",
    ),
  }),
});

/** Whether a value is a mixin made by Atelier (by any copy of @atelier/core). */
export function isMixin(value: unknown): value is Mixin {
  return typeof value === "object" && value !== null && (value as { atelierKind?: unknown }).atelierKind === "mixin";
}

/** The names of the built-in mixins: the only ones allowed to declare `metadata` / `board`. */
export const BUILTIN_MIXIN_NAMES: readonly string[] = ["WithMetadata", "WithBoard"];
