import type { z } from "zod";
import type { OutputInfo } from "../node-type-info.js";
import { isOutputFieldSpec, type OutputFieldSpec } from "./field-specs.js";
import { NodeDefinitionError } from "./node-errors.js";
import { typeExprFromSchema, UnsupportedSchemaError } from "./type-expr-from-schema.js";
import { checkValue } from "./value-validation.js";

/** The fields of an output, by name. */
export type OutputFieldSpecs = Readonly<Record<string, OutputFieldSpec>>;

/** What `invoke` returns for an output with fields F: one value per field (`type` is added by the engine). */
export type OutputValues<F extends OutputFieldSpecs> = {
  -readonly [K in keyof F]: F[K] extends OutputFieldSpec<infer S> ? z.input<S> : never;
};

/** An output type: a type id and typed fields. Made by `defineOutput`. */
export interface OutputDefinition<T extends string = string, F extends OutputFieldSpecs = OutputFieldSpecs> {
  readonly atelierKind: "output_definition";
  readonly type: T;
  /** Name of its schema in `components.schemas` (e.g. `ImageOutput`). */
  readonly schemaName: string;
  readonly description?: string;
  readonly fields: F;
  /** The typing view of each field, for graph validation. */
  readonly outputs: Readonly<Record<string, OutputInfo>>;
}

/** Configuration of `defineOutput`. */
export interface OutputConfig<T extends string, F extends OutputFieldSpecs> {
  /** The output type id, e.g. `image_output` (no whitespace). */
  readonly type: T;
  readonly fields: F;
  /** Schema name; default: PascalCase of the type id (`image_output` → `ImageOutput`). */
  readonly schemaName?: string;
  readonly description?: string;
}

/** Output field names InvokeAI reserves. */
export const RESERVED_OUTPUT_NAMES: readonly string[] = ["type", "output_meta"];

const TYPE_ID = /^\S+$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** PascalCase of a snake/kebab-case id: `image_output` → `ImageOutput`. */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** Checks a node or output type id; throws NodeDefinitionError naming it. */
export function assertTypeId(type: unknown, what: "node" | "output"): asserts type is string {
  if (typeof type !== "string" || type.length === 0 || !TYPE_ID.test(type)) {
    const detail = what === "node" ? { node_type: String(type) } : { output_type: String(type) };
    throw new NodeDefinitionError(
      `Invalid ${what} type id ${JSON.stringify(type)}: it must be a non-empty string without whitespace`,
      detail,
    );
  }
}

/** Checks a field name is usable in graph JSON (an identifier). */
export function assertFieldName(name: string, where: string, detail: Record<string, string>): void {
  if (!FIELD_NAME.test(name)) {
    throw new NodeDefinitionError(`${where}: field name ${JSON.stringify(name)} is not a valid identifier`, {
      ...detail,
      field: name,
    });
  }
}

/**
 * Defines an output type: `defineOutput({ type: "image_output", fields: { image: OutputField(ImageField) } })`.
 * Throws NodeDefinitionError for a bad type id, a reserved field name or a default that fails its schema.
 */
export function defineOutput<const T extends string, F extends OutputFieldSpecs>(
  config: OutputConfig<T, F>,
): OutputDefinition<T, F> {
  assertTypeId(config.type, "output");
  const type = config.type;
  const where = `Output ${type}`;
  const outputs: Record<string, OutputInfo> = {};
  for (const [name, spec] of Object.entries(config.fields ?? {})) {
    const detail = { output_type: type, field: name };
    if (RESERVED_OUTPUT_NAMES.includes(name)) {
      throw new NodeDefinitionError(`${where}: output field name "${name}" is reserved`, detail);
    }
    assertFieldName(name, where, { output_type: type });
    if (!isOutputFieldSpec(spec)) {
      throw new NodeDefinitionError(`${where}: field "${name}" must be declared with OutputField(schema, …)`, detail);
    }
    try {
      outputs[name] = Object.freeze({ type: typeExprFromSchema(spec.schema) });
    } catch (err) {
      if (!(err instanceof UnsupportedSchemaError)) throw err;
      throw new NodeDefinitionError(`${where}: field "${name}": ${err.message}`, detail);
    }
    if (spec.hasDefault && spec.default !== null) {
      const check = checkValue(spec.schema, spec.default);
      if (!check.ok) {
        throw new NodeDefinitionError(`${where}: the default of field "${name}" is invalid: ${check.problem}`, detail);
      }
    }
  }
  return Object.freeze({
    atelierKind: "output_definition" as const,
    type,
    schemaName: config.schemaName ?? pascalCase(type),
    ...(config.description === undefined ? {} : { description: config.description }),
    fields: config.fields,
    outputs: Object.freeze(outputs),
  });
}

/** Whether a value was made by `defineOutput` (by any copy of @atelier/core). */
export function isOutputDefinition(value: unknown): value is OutputDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { atelierKind?: unknown }).atelierKind === "output_definition"
  );
}
