import type { z } from "zod";
import type { FieldKind, InputKind } from "../node-type-info.js";
import type { AnyModelVariantType, BaseModelType, ModelFormat, ModelType } from "./model-taxonomy.js";
import type { UIComponent, UIType } from "./ui-hints.js";
import { topLevelDefault } from "./zod-introspection.js";

/** UI hints of an input, as written into its JSON Schema property (`ui_model_*` always lists). */
export interface InputUiHints {
  readonly ui_type?: UIType;
  readonly ui_component?: UIComponent;
  readonly ui_order?: number;
  readonly ui_hidden?: boolean;
  readonly ui_choice_labels?: Readonly<Record<string, string>>;
  readonly ui_model_base?: readonly BaseModelType[];
  readonly ui_model_type?: readonly ModelType[];
  readonly ui_model_format?: readonly ModelFormat[];
  readonly ui_model_variant?: readonly AnyModelVariantType[];
  readonly ui_model_provider_id?: readonly string[];
}

/** Options of `InputField` (InvokeAI's `InputField(...)` keyword arguments; constraints go on the zod schema). */
export interface InputFieldOptions<D> {
  readonly description?: string;
  readonly title?: string;
  /** The default value. Without one, the field is required (`orig_required`). `null` widens the type to `T | null`. */
  readonly default?: D;
  /** `connection`: only by edge; `direct`: only as a literal; `any` (default): either. */
  readonly input?: InputKind;
  readonly ui_type?: UIType;
  readonly ui_component?: UIComponent;
  readonly ui_order?: number;
  readonly ui_hidden?: boolean;
  readonly ui_choice_labels?: Readonly<Record<string, string>>;
  readonly ui_model_base?: BaseModelType | readonly BaseModelType[];
  readonly ui_model_type?: ModelType | readonly ModelType[];
  readonly ui_model_format?: ModelFormat | readonly ModelFormat[];
  readonly ui_model_variant?: AnyModelVariantType | readonly AnyModelVariantType[];
  readonly ui_model_provider_id?: string | readonly string[];
}

/** An input field of a node: its zod schema plus InvokeAI's field metadata. Made by `InputField`. */
export interface InputFieldSpec<S extends z.ZodType = z.ZodType, D = unknown> {
  readonly atelierKind: "input_field";
  readonly schema: S;
  /** `input` for node inputs, `internal` for the mixins' metadata/board, `node_attribute` for id/type/…. */
  readonly fieldKind: Exclude<FieldKind, "output">;
  readonly input: InputKind;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly description?: string;
  readonly title?: string;
  readonly ui: InputUiHints;
  /** Type-level only: the type of the given default (`null` widens the value type). */
  readonly __default?: D;
}

/** Options of `OutputField`. */
export interface OutputFieldOptions {
  readonly description?: string;
  readonly title?: string;
  readonly default?: unknown;
  readonly ui_type?: UIType;
  readonly ui_hidden?: boolean;
  readonly ui_order?: number;
}

/** An output field: its zod schema plus InvokeAI's output field metadata. Made by `OutputField`. */
export interface OutputFieldSpec<S extends z.ZodType = z.ZodType> {
  readonly atelierKind: "output_field";
  readonly schema: S;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly description?: string;
  readonly title?: string;
  readonly ui_type?: UIType;
  readonly ui_hidden: boolean;
  readonly ui_order?: number;
}

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Declares a node input: `InputField(z.number().int().gte(0), { default: 512, description: "Width" })`.
 * Constraints live on the zod schema; InvokeAI's `input`, `ui_*` and `title` hints go in the options.
 */
export function InputField<S extends z.ZodType, D = undefined>(
  schema: S,
  // D only records whether the default is null; the intersection checks the default against the schema.
  options: InputFieldOptions<D> & { readonly default?: z.input<S> | null } = {},
): InputFieldSpec<S, NoInfer<D>> {
  // A `.default(v)` on the schema counts as the field's default, like InputField(default=v).
  const schemaDefault = options.default === undefined ? topLevelDefault(schema) : undefined;
  const hasDefault = options.default !== undefined || schemaDefault !== undefined;
  const ui: InputUiHints = definedOnly({
    ui_type: options.ui_type,
    ui_component: options.ui_component,
    ui_order: options.ui_order,
    ui_hidden: options.ui_hidden,
    ui_choice_labels: options.ui_choice_labels === undefined ? undefined : { ...options.ui_choice_labels },
    ui_model_base: asList(options.ui_model_base),
    ui_model_type: asList(options.ui_model_type),
    ui_model_format: asList(options.ui_model_format),
    ui_model_variant: asList(options.ui_model_variant),
    ui_model_provider_id: asList(options.ui_model_provider_id),
  });
  return Object.freeze(
    definedOnly({
      atelierKind: "input_field" as const,
      schema,
      fieldKind: "input" as const,
      input: options.input ?? "any",
      hasDefault,
      default: options.default !== undefined ? options.default : schemaDefault?.value,
      description: options.description,
      title: options.title,
      ui: Object.freeze(ui),
    }),
  );
}

/** Declares an output field: `OutputField(ImageField, { description: "The output image" })`. */
export function OutputField<S extends z.ZodType>(schema: S, options: OutputFieldOptions = {}): OutputFieldSpec<S> {
  const schemaDefault = options.default === undefined ? topLevelDefault(schema) : undefined;
  const hasDefault = options.default !== undefined || schemaDefault !== undefined;
  return Object.freeze(
    definedOnly({
      atelierKind: "output_field" as const,
      schema,
      hasDefault,
      default: options.default !== undefined ? options.default : schemaDefault?.value,
      description: options.description,
      title: options.title,
      ui_type: options.ui_type,
      ui_hidden: options.ui_hidden ?? false,
      ui_order: options.ui_order,
    }),
  );
}

/** Whether a value was made by `InputField` (by any copy of @atelier/core). */
export function isInputFieldSpec(value: unknown): value is InputFieldSpec {
  return (
    typeof value === "object" && value !== null && (value as { atelierKind?: unknown }).atelierKind === "input_field"
  );
}

/** Whether a value was made by `OutputField` (by any copy of @atelier/core). */
export function isOutputFieldSpec(value: unknown): value is OutputFieldSpec {
  return (
    typeof value === "object" && value !== null && (value as { atelierKind?: unknown }).atelierKind === "output_field"
  );
}

/** Makes an internal (mixin) or node-attribute field; not for node authors. */
export function internalFieldSpec<S extends z.ZodType, D>(
  spec: InputFieldSpec<S, D>,
  fieldKind: "internal" | "node_attribute",
): InputFieldSpec<S, D> {
  return Object.freeze({ ...spec, fieldKind });
}
