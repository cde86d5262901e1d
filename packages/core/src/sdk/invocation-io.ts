import type { InvocationContext } from "../context/invocation-context.js";
import type { FieldIssue } from "../node-type-info.js";
import type { AnyInvocationDefinition, NodeAttributes } from "./define-invocation.js";
import type { OutputDefinition } from "./define-output.js";
import type { InputFieldSpec } from "./field-specs.js";
import {
  MissingInputError,
  NodeInputError,
  NodeOutputError,
  previewValue,
  RequiredConnectionError,
} from "./node-errors.js";
import { checkValue } from "./value-validation.js";
import { acceptsNull } from "./zod-introspection.js";

// The value rules of InvokeAI's BaseInvocation: pydantic validation of the node JSON when a graph is loaded, the
// required-input check of `invoke_internal` just before `invoke`, and validation of the returned output.

/** The part of a node definition value validation needs. */
export interface NodeFieldsView {
  readonly type: string;
  readonly fields: Readonly<Record<string, InputFieldSpec>>;
}

/** A validated output object: the output's fields plus its `type`. */
export type InvocationOutputObject = Record<string, unknown> & { readonly type: string };

/**
 * Whether `null` is accepted although the schema itself rejects it: InvokeAI widens a field to `T | None` when its
 * pydantic default is None (any/connection inputs without a default, or an explicit `default: null`).
 */
function nullWidened(spec: InputFieldSpec): boolean {
  if (spec.hasDefault) return spec.default === null;
  return spec.input !== "direct" && spec.fieldKind !== "node_attribute";
}

function checkFieldValue(
  spec: InputFieldSpec,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (value === null && !acceptsNull(spec.schema)) {
    return nullWidened(spec) ? { ok: true, value: null } : { ok: false, problem: "must not be null" };
  }
  return checkValue(spec.schema, value);
}

/** A default as a node gets it: objects and lists copied (a node may change its inputs), primitives as they are. */
function defaultValue(value: unknown): unknown {
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}

// Object.entries of a definition's fields, kept per fields object: parsing runs once per node run.
// Definitions are immutable once defined.
const fieldEntriesCache = new WeakMap<object, readonly (readonly [string, unknown])[]>();

function fieldEntries<S>(fields: Readonly<Record<string, S>>): readonly (readonly [string, S])[] {
  let entries = fieldEntriesCache.get(fields);
  if (entries === undefined) fieldEntriesCache.set(fields, (entries = Object.entries(fields)));
  return entries as readonly (readonly [string, S])[];
}

/**
 * Checks the literal values present on a node JSON object (graph-load time). Inputs that will arrive by edge may be
 * missing; a direct input without default may not. Each problem names the field, the value and what is wrong.
 */
export function validateNodeValues(def: NodeFieldsView, node: Readonly<Record<string, unknown>>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, spec] of fieldEntries(def.fields)) {
    const value = node[name];
    if (name === "type") {
      if (value !== undefined && value !== def.type) {
        issues.push({ field: name, value, message: `must be ${JSON.stringify(def.type)}` });
      }
      continue;
    }
    if (value === undefined) {
      if (spec.fieldKind === "input" && spec.input === "direct" && !spec.hasDefault) {
        issues.push({ field: name, message: "is required (a direct input has no other way to get a value)" });
      }
      continue;
    }
    const check = checkFieldValue(spec, value);
    if (!check.ok) issues.push({ field: name, value, message: check.problem });
  }
  return issues;
}

/**
 * Parses a node's full, hydrated inputs just before `invoke` and returns `this` for it: applies defaults (a uuid
 * for a missing `id`), coerces as pydantic would, and throws MissingInputError / RequiredConnectionError for a
 * required input without value, NodeInputError for a value its schema rejects.
 */
export function parseInvocationInputs(
  def: Pick<AnyInvocationDefinition, "type" | "fields" | "allowExtraFields">,
  node: Readonly<Record<string, unknown>>,
): NodeAttributes & Record<string, unknown> {
  const rawId = node.id;
  if (rawId !== undefined && typeof rawId !== "string") {
    throw new NodeInputError(def.type, String(rawId), "id", "must be a string", rawId);
  }
  const id = rawId ?? globalThis.crypto.randomUUID();
  if (node.type !== undefined && node.type !== def.type) {
    throw new NodeInputError(def.type, id, "type", `must be ${JSON.stringify(def.type)}`, node.type);
  }
  const self: Record<string, unknown> = {};
  if (def.allowExtraFields) {
    for (const [k, v] of Object.entries(node)) if (!(k in def.fields)) self[k] = v;
  }
  for (const [name, spec] of fieldEntries(def.fields)) {
    if (name === "id" || name === "type") continue;
    let value = node[name];
    if (value === undefined) {
      if (spec.hasDefault) value = defaultValue(spec.default);
      else if (spec.input !== "direct") value = null;
      else throw new MissingInputError(def.type, id, name);
    }
    if (value === null && !spec.hasDefault && spec.fieldKind === "input") {
      if (spec.input === "connection") throw new RequiredConnectionError(def.type, id, name);
      throw new MissingInputError(def.type, id, name);
    }
    const check = checkFieldValue(spec, value);
    if (!check.ok) throw new NodeInputError(def.type, id, name, check.problem, value);
    self[name] = check.value;
  }
  self.id = id;
  self.type = def.type;
  return self as NodeAttributes & Record<string, unknown>;
}

/** Where an output came from, for error messages. */
export interface OutputOrigin {
  readonly nodeType: string;
  readonly nodeId: string;
}

function outputFailure(output: OutputDefinition, origin: OutputOrigin, problem: string, field?: string): never {
  throw new NodeOutputError(origin.nodeType, origin.nodeId, output.type, problem, field);
}

/**
 * Validates what `invoke` returned against the output definition and adds `type`. Throws NodeOutputError for a
 * missing, unknown or invalid field, or a wrong `type`.
 */
export function parseInvocationOutput(
  output: OutputDefinition,
  value: unknown,
  origin: OutputOrigin,
): InvocationOutputObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return outputFailure(output, origin, `expected an object with fields ${Object.keys(output.fields).join(", ")}`);
  }
  const raw = value as Record<string, unknown>;
  if (raw.type !== undefined && raw.type !== output.type)
    outputFailure(output, origin, `type must be ${JSON.stringify(output.type)}`, "type");
  for (const key of Object.keys(raw)) {
    if (!(key in output.fields) && key !== "type" && key !== "output_meta")
      outputFailure(output, origin, "is not a field of this output", key);
  }
  const result: Record<string, unknown> = {};
  for (const [name, spec] of fieldEntries(output.fields)) {
    let v = raw[name];
    if (v === undefined) {
      if (!spec.hasDefault) outputFailure(output, origin, "is missing", name);
      v = defaultValue(spec.default);
    }
    if (v === null && spec.hasDefault && spec.default === null && !acceptsNull(spec.schema)) {
      result[name] = null;
      continue;
    }
    const check = checkValue(spec.schema, v);
    if (!check.ok) outputFailure(output, origin, `${check.problem}; got ${previewValue(v)}`, name);
    else result[name] = check.value;
  }
  if (raw.output_meta !== undefined) result.output_meta = raw.output_meta;
  result.type = output.type;
  return result as InvocationOutputObject;
}

/** Runs a node: parses its inputs, calls `invoke` with them as `this`, validates and types the output. */
export async function runInvocation(
  def: AnyInvocationDefinition,
  node: Readonly<Record<string, unknown>>,
  context: InvocationContext,
): Promise<InvocationOutputObject> {
  const self = parseInvocationInputs(def, node);
  const raw: unknown = await def.invoke.call(self as never, context);
  return parseInvocationOutput(def.output, raw, { nodeType: def.type, nodeId: self.id });
}
