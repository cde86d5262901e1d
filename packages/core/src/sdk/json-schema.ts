import { z } from "zod";
import type { AnyInvocationDefinition } from "./define-invocation.js";
import { pascalCase, type OutputDefinition } from "./define-output.js";
import type { InputFieldSpec, OutputFieldSpec } from "./field-specs.js";
import { ModelIdentifierField } from "./field-types.js";
import { BaseModelTypeSchema, ModelFormatSchema, ModelTypeSchema, SubModelTypeSchema } from "./model-taxonomy.js";
import { getSchemaName } from "./named-schemas.js";
import { ClassificationSchema, FieldKindSchema, InputKindSchema, UIComponentSchema, UITypeSchema } from "./ui-hints.js";
import { topLevelDefault, unwrapTransparent, viewSchema } from "./zod-introspection.js";

// The JSON Schema InvokeAI's UI reads from /openapi.json (`components.schemas`): one schema per node
// (`class: "invocation"`) and output (`class: "output"`), the named field models they refer to, and the
// `InvocationOutputMap`. Property shapes follow what pydantic emits for InvokeAI's models.

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON Schema object. */
export type JsonSchema = { [key: string]: JsonValue };

const REF_PREFIX = "#/components/schemas/";

/** pydantic's default title for a field: `use_cpu` → `Use Cpu` (Python's `str.title()` on `name.replace("_", " ")`). */
export function pydanticTitle(name: string): string {
  let out = "";
  let prevCased = false;
  for (const ch of name.replace(/_/g, " ")) {
    const cased = ch.toLowerCase() !== ch.toUpperCase();
    out += cased ? (prevCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevCased = cased;
  }
  return out;
}

function zodDescription(schema: z.ZodType): string | undefined {
  return z.globalRegistry.get(schema)?.description;
}

function jsonAcceptsNull(json: JsonSchema): boolean {
  if (json.type === "null") return true;
  return Array.isArray(json.anyOf) && json.anyOf.some((m) => (m as JsonSchema).type === "null");
}

/** `T` → `T | None` as pydantic writes it: `anyOf: [T, {type: "null"}]`. */
function widenNull(json: JsonSchema): JsonSchema {
  if (Array.isArray(json.anyOf)) return { ...json, anyOf: [...json.anyOf, { type: "null" }] };
  return { anyOf: [json, { type: "null" }] };
}

function valueType(v: string | number | boolean | null): string {
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function sameTypes(values: readonly (string | number | boolean | null)[]): JsonSchema {
  const types = [...new Set(values.map(valueType))];
  return types.length === 1 ? { type: types[0]! } : {};
}

/** Whether pydantic would set a title on a field of this schema (not for named models and enums). */
function titleShouldBeSet(schema: z.ZodType, depth = 0): boolean {
  if (getSchemaName(schema) !== undefined) return false;
  const view = viewSchema(schema);
  if (
    depth < 16 &&
    (view.kind === "nullable" || view.kind === "optional" || view.kind === "default" || view.kind === "wrapper")
  ) {
    return titleShouldBeSet(view.inner, depth + 1);
  }
  return true;
}

/**
 * Turns zod schemas into JSON Schema, emitting named schemas (`namedSchema`) as `$ref`s and collecting their
 * definitions. The first schema object seen for a name defines it.
 */
export class JsonSchemaWriter {
  readonly #definitions = new Map<string, JsonSchema>();

  /** The named schemas met so far, by name. */
  definitions(): Record<string, JsonSchema> {
    return Object.fromEntries(this.#definitions);
  }

  /** Makes sure a named schema is defined; returns its `$ref`. */
  ref(schema: z.ZodType): JsonSchema {
    const named = getSchemaName(schema);
    if (named === undefined) throw new TypeError("ref() needs a schema named with namedSchema()");
    if (!this.#definitions.has(named.name)) {
      this.#definitions.set(named.name, {}); // placeholder: breaks cycles
      const body = this.#shape(schema);
      const def: JsonSchema = { ...body, title: named.name };
      if (named.description !== undefined) def.description = named.description;
      this.#definitions.set(named.name, def);
    }
    return { $ref: REF_PREFIX + named.name };
  }

  /** The JSON Schema of a zod schema (named schemas become `$ref`s). */
  toJson(schema: z.ZodType): JsonSchema {
    if (getSchemaName(schema) !== undefined) return this.ref(schema);
    return this.#shape(schema);
  }

  #shape(schema: z.ZodType, depth = 0): JsonSchema {
    if (depth > 64) return {};
    const view = viewSchema(schema);
    switch (view.kind) {
      case "number": {
        const out: JsonSchema = { type: view.integer ? "integer" : "number" };
        for (const k of ["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf"] as const) {
          const v = view[k];
          if (v !== undefined && Number.isFinite(v)) out[k] = v;
        }
        return out;
      }
      case "string": {
        const out: JsonSchema = { type: "string" };
        if (view.minLength !== undefined) out.minLength = view.minLength;
        if (view.maxLength !== undefined) out.maxLength = view.maxLength;
        if (view.pattern !== undefined) out.pattern = view.pattern;
        if (view.format !== undefined) out.format = view.format;
        return out;
      }
      case "boolean":
        return { type: "boolean" };
      case "null":
        return { type: "null" };
      case "any":
        return {};
      case "enum":
        return { ...sameTypes(view.values), enum: [...view.values] };
      case "literal":
        if (view.values.length === 1) return { const: view.values[0]!, ...sameTypes(view.values) };
        return { ...sameTypes(view.values), enum: [...view.values] };
      case "array": {
        const out: JsonSchema = { items: this.toJson(view.item), type: "array" };
        if (view.minItems !== undefined) out.minItems = view.minItems;
        if (view.maxItems !== undefined) out.maxItems = view.maxItems;
        return out;
      }
      case "tuple": {
        const out: JsonSchema = { prefixItems: view.items.map((s) => this.toJson(s)), type: "array" };
        if (view.rest === undefined) out.maxItems = out.minItems = view.items.length;
        else out.items = this.toJson(view.rest);
        return out;
      }
      case "object": {
        const properties: JsonSchema = {};
        const required: string[] = [];
        for (const [key, prop] of Object.entries(view.shape)) {
          properties[key] = this.#property(key, prop);
          const inner = viewSchema(unwrapTransparent(prop));
          if (inner.kind !== "optional" && inner.kind !== "default") required.push(key);
        }
        const out: JsonSchema = { properties, type: "object" };
        if (required.length > 0) out.required = required;
        if (view.extra === "allow") out.additionalProperties = true;
        else if (view.extra === "forbid") out.additionalProperties = false;
        else if (view.extra !== "ignore") out.additionalProperties = this.toJson(view.extra);
        return out;
      }
      case "record": {
        const value = this.toJson(view.value);
        return { additionalProperties: Object.keys(value).length === 0 ? true : value, type: "object" };
      }
      case "union": {
        const anyOf: JsonValue[] = [];
        for (const option of view.options) {
          const json = this.toJson(option);
          if (Array.isArray(json.anyOf) && Object.keys(json).length === 1) anyOf.push(...json.anyOf);
          else anyOf.push(json);
        }
        return { anyOf };
      }
      case "nullable": {
        const inner = this.toJson(view.inner);
        return jsonAcceptsNull(inner) ? inner : widenNull(inner);
      }
      case "optional":
      case "wrapper":
        return this.toJson(view.inner);
      case "default":
        return { ...this.toJson(view.inner), default: toJsonValue(view.value) };
      case "unsupported":
        return {};
    }
  }

  /** A property of a named object model: its schema plus title (unless a model/enum) and description. */
  #property(key: string, schema: z.ZodType): JsonSchema {
    const out = this.toJson(schema);
    if (titleShouldBeSet(schema) && out.$ref === undefined) out.title = pydanticTitle(key);
    const description = zodDescription(schema);
    if (description !== undefined) out.description = description;
    return out;
  }
}

function toJsonValue(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

const ID_DESCRIPTION = "The id of this instance of an invocation. Must be unique among all instances of invocations.";

/** The node attribute properties exactly as InvokeAI's BaseInvocation writes them. */
function nodeAttributeProperty(name: string, def: AnyInvocationDefinition): JsonSchema {
  switch (name) {
    case "id":
      return { description: ID_DESCRIPTION, field_kind: "node_attribute", title: "Id", type: "string" };
    case "is_intermediate":
      return {
        default: false,
        description: "Whether or not this is an intermediate invocation.",
        field_kind: "node_attribute",
        input: "direct",
        orig_required: true,
        title: "Is Intermediate",
        type: "boolean",
        ui_hidden: false,
        ui_type: "IsIntermediate",
      };
    case "use_cache":
      return {
        default: def.useCache,
        description: "Whether or not to use the cache",
        field_kind: "node_attribute",
        title: "Use Cache",
        type: "boolean",
      };
    default:
      return typeProperty(def.type);
  }
}

function typeProperty(type: string): JsonSchema {
  return { const: type, default: type, field_kind: "node_attribute", title: "type", type: "string" };
}

function uiHints(spec: InputFieldSpec): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(spec.ui)) if (v !== undefined) out[k] = toJsonValue(v);
  return out;
}

/** The JSON Schema property of one node input (InvokeAI's InputField semantics). */
export function inputPropertySchema(name: string, spec: InputFieldSpec, writer: JsonSchemaWriter): JsonSchema {
  const core = topLevelDefault(spec.schema)?.inner ?? spec.schema;
  let json = writer.toJson(core);
  // pydantic's default: the given one; None for any/connection inputs without one; none for a required direct input.
  const hasEffectiveDefault = spec.hasDefault || spec.input !== "direct";
  const effectiveDefault = spec.hasDefault ? toJsonValue(spec.default) : null;
  if (hasEffectiveDefault && effectiveDefault === null && !jsonAcceptsNull(json)) json = widenNull(json);
  const out: JsonSchema = { ...json };
  if (hasEffectiveDefault) out.default = effectiveDefault;
  const title = spec.title ?? (titleShouldBeSet(core) ? pydanticTitle(name) : undefined);
  if (title !== undefined) out.title = title;
  const description = spec.description ?? zodDescription(spec.schema);
  if (description !== undefined) out.description = description;
  out.field_kind = spec.fieldKind;
  out.input = spec.input;
  out.orig_required = !spec.hasDefault;
  if (spec.hasDefault && spec.fieldKind === "input") out.orig_default = toJsonValue(spec.default);
  return { ...out, ...uiHints(spec) };
}

/** The JSON Schema property of one output field. */
export function outputPropertySchema(name: string, spec: OutputFieldSpec, writer: JsonSchemaWriter): JsonSchema {
  const core = topLevelDefault(spec.schema)?.inner ?? spec.schema;
  let json = writer.toJson(core);
  if (spec.hasDefault && spec.default === null && !jsonAcceptsNull(json)) json = widenNull(json);
  const out: JsonSchema = { ...json };
  if (spec.hasDefault) out.default = toJsonValue(spec.default);
  const title = spec.title ?? (titleShouldBeSet(core) ? pydanticTitle(name) : undefined);
  if (title !== undefined) out.title = title;
  const description = spec.description ?? zodDescription(spec.schema);
  if (description !== undefined) out.description = description;
  out.field_kind = "output";
  out.ui_hidden = spec.ui_hidden;
  if (spec.ui_order !== undefined) out.ui_order = spec.ui_order;
  if (spec.ui_type !== undefined) out.ui_type = spec.ui_type;
  return out;
}

/** The schema of an output type (`class: "output"`). */
export function outputJsonSchema(
  output: OutputDefinition,
  writer: JsonSchemaWriter,
  name = output.schemaName,
): JsonSchema {
  const properties: JsonSchema = {};
  for (const [field, spec] of Object.entries(output.fields))
    properties[field] = outputPropertySchema(field, spec, writer);
  properties.type = typeProperty(output.type);
  const schema: JsonSchema = {
    class: "output",
    properties,
    required: [...Object.keys(output.fields), "type"],
    title: name,
    type: "object",
  };
  if (output.description !== undefined) schema.description = output.description;
  return schema;
}

/** The schema of a node type (`class: "invocation"`), whose output schema is called `outputName`. */
export function invocationJsonSchema(
  def: AnyInvocationDefinition,
  writer: JsonSchemaWriter,
  outputName = def.output.schemaName,
): JsonSchema {
  const properties: JsonSchema = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(def.fields)) {
    if (spec.fieldKind === "node_attribute") {
      properties[name] = nodeAttributeProperty(name, def);
      continue;
    }
    properties[name] = inputPropertySchema(name, spec, writer);
    if (!spec.hasDefault && spec.input === "direct") required.push(name);
  }
  const schema: JsonSchema = {
    title: def.title ?? def.schemaName,
    class: "invocation",
    classification: def.classification,
    node_pack: def.nodePack,
    version: def.version,
    properties,
    required: [...required, "type", "id"],
    type: "object",
    output: { $ref: REF_PREFIX + outputName },
  };
  if (def.description !== undefined) schema.description = def.description;
  if (def.category !== undefined) schema.category = def.category;
  if (def.tags.length > 0) schema.tags = [...def.tags];
  if (def.allowExtraFields) schema.additionalProperties = true;
  return schema;
}

/** What `buildComponentSchemas` needs from a registry. */
export interface SchemaSource {
  list(): readonly AnyInvocationDefinition[];
  listOutputs(): readonly OutputDefinition[];
}

/** Named schemas InvokeAI always publishes, whether or not a node refers to them. */
const ALWAYS_PUBLISHED: readonly z.ZodType[] = [
  ModelIdentifierField,
  BaseModelTypeSchema,
  ModelTypeSchema,
  SubModelTypeSchema,
  ModelFormatSchema,
  ClassificationSchema,
  UITypeSchema,
  UIComponentSchema,
  InputKindSchema,
  FieldKindSchema,
];

function uniqueName(wanted: string, pack: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  const withPack = `${wanted}${pascalCase(pack)}`;
  if (!taken.has(withPack)) return withPack;
  let i = 2;
  while (taken.has(`${withPack}${i}`)) i++;
  return `${withPack}${i}`;
}

/**
 * The whole `components.schemas` object for the registered (and allowed) nodes: every node and output schema, the
 * field models and enums they use, and `InvocationOutputMap` (node type → output `$ref`). Two types claiming one
 * schema name are told apart by appending the node pack's name to the later one.
 */
export function buildComponentSchemas(source: SchemaSource): Record<string, JsonSchema> {
  const writer = new JsonSchemaWriter();
  for (const s of ALWAYS_PUBLISHED) writer.ref(s);
  const nodes = source.list();
  const outputs = new Map<string, OutputDefinition>();
  for (const o of source.listOutputs()) outputs.set(o.type, o);
  for (const d of nodes) if (!outputs.has(d.output.type)) outputs.set(d.output.type, d.output);

  const taken = new Set(Object.keys(writer.definitions()));
  const outputNames = new Map<string, string>();
  const result: Record<string, JsonSchema> = {};
  for (const output of [...outputs.values()].sort((a, b) => (a.type < b.type ? -1 : 1))) {
    const name = uniqueName(output.schemaName, output.type, taken);
    taken.add(name);
    outputNames.set(output.type, name);
    result[name] = outputJsonSchema(output, writer, name);
  }
  const outputMap: JsonSchema = {};
  for (const def of nodes) {
    const name = uniqueName(def.schemaName, def.nodePack, taken);
    taken.add(name);
    const outputName = outputNames.get(def.output.type)!;
    result[name] = invocationJsonSchema(def, writer, outputName);
    outputMap[def.type] = { $ref: REF_PREFIX + outputName };
  }
  result.InvocationOutputMap = { properties: outputMap, required: Object.keys(outputMap), type: "object" };
  return { ...writer.definitions(), ...result };
}
