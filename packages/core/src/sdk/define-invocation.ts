import { z } from "zod";
import type { InvocationContext } from "../context/invocation-context.js";
import type { FieldIssue, InputInfo, NodeTypeInfo, OutputInfo } from "../node-type-info.js";
import {
  assertFieldName,
  assertTypeId,
  isOutputDefinition,
  pascalCase,
  type OutputDefinition,
  type OutputValues,
} from "./define-output.js";
import { InputField, internalFieldSpec, isInputFieldSpec, type InputFieldSpec } from "./field-specs.js";
import { validateNodeValues } from "./invocation-io.js";
import { ANY_MODEL_VARIANT_TYPES, BASE_MODEL_TYPES, MODEL_FORMATS, MODEL_TYPES } from "./model-taxonomy.js";
import { BUILTIN_MIXIN_NAMES, isMixin, type Mixin } from "./mixins.js";
import { NodeDefinitionError } from "./node-errors.js";
import { isSemver } from "./semver.js";
import { typeExprFromSchema, UnsupportedSchemaError } from "./type-expr-from-schema.js";
import { CLASSIFICATIONS, UI_COMPONENTS, UI_TYPES, type Classification } from "./ui-hints.js";
import { checkValue } from "./value-validation.js";

/** The inputs of a node, by name. */
export type InputFieldSpecs = Readonly<Record<string, InputFieldSpec>>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] };

/** The value type of one input inside `invoke`: the schema's output, plus `null` when the default is `null`. */
export type FieldValue<Spec> =
  Spec extends InputFieldSpec<infer S, infer D> ? z.output<S> | (null extends D ? null : never) : never;

/** The validated values of a set of inputs. */
export type InputValues<I extends InputFieldSpecs> = { -readonly [K in keyof I]: FieldValue<I[K]> };

/** The values the mixins M add (`metadata`, `board`). */
export type MixinValues<M> = [M] extends [never]
  ? Record<never, never>
  : UnionToIntersection<M extends Mixin<infer F> ? InputValues<F> : never>;

/** The attributes every node has. */
/** What limits a node's run: the GPU (one at a time per session), the CPU or the network. */
export type Bottleneck = "gpu" | "cpu" | "network";
const BOTTLENECKS: readonly Bottleneck[] = ["gpu", "cpu", "network"];

export interface NodeAttributes<T extends string = string> {
  id: string;
  type: T;
  is_intermediate: boolean;
  use_cache: boolean;
}

/** `this` inside `invoke`: the node's attributes and its validated, defaulted inputs. */
export type InvocationSelf<T extends string, I extends InputFieldSpecs, M> = Simplify<
  NodeAttributes<T> & InputValues<I> & MixinValues<M>
>;

/** What `invoke` returns for output O: a plain object with the output's fields. */
export type OutputReturn<O> = O extends OutputDefinition<string, infer F> ? OutputValues<F> : never;

/** Configuration of `defineInvocation` (InvokeAI's `@invocation(...)` arguments plus the class body). */
export interface InvocationConfig<
  T extends string,
  I extends InputFieldSpecs,
  M extends Mixin,
  O extends OutputDefinition,
> {
  /** The node type id, e.g. `img_resize` (no whitespace). */
  readonly type: T;
  readonly title?: string;
  readonly tags?: readonly string[];
  readonly category?: string;
  /** Semantic version of the node's interface, e.g. `1.0.0`. */
  readonly version: string;
  /** Whether outputs may be served from the invocation cache (default true). */
  readonly useCache?: boolean;
  readonly classification?: Classification;
  /**
   * What limits the node: `gpu` nodes (model inference) never run beside another `gpu` node of the same session;
   * `cpu` (the default) and `network` nodes may run in parallel up to config `max_concurrent_nodes`.
   */
  readonly bottleneck?: Bottleneck;
  readonly mixins?: readonly M[];
  readonly inputs: I;
  readonly output: O;
  /** The node's description (InvokeAI's class docstring). */
  readonly description?: string;
  /** Schema name in `components.schemas`; default: PascalCase of the type + `Invocation`. */
  readonly schemaName?: string;
  /** The node pack; default `invokeai` (core and built-in nodes). The pack loader sets the folder name. */
  readonly nodePack?: string;
  /** Keep fields the node does not declare (InvokeAI's `extra="allow"`, e.g. `core_metadata`). */
  readonly allowExtraFields?: boolean;
  /** Runs the node. `this` holds the validated inputs; return the output's fields. */
  invoke(this: InvocationSelf<T, I, M>, context: InvocationContext): OutputReturn<O> | Promise<OutputReturn<O>>;
}

/** A node type: its metadata, fields, output and `invoke`; also its typing view (`NodeTypeInfo`). */
export interface InvocationDefinition<
  T extends string = string,
  I extends InputFieldSpecs = InputFieldSpecs,
  M extends Mixin = Mixin,
  O extends OutputDefinition = OutputDefinition,
> extends NodeTypeInfo {
  readonly atelierKind: "invocation_definition";
  readonly type: T;
  readonly title?: string;
  readonly tags: readonly string[];
  readonly category?: string;
  readonly version: string;
  readonly useCache: boolean;
  readonly classification: Classification;
  readonly bottleneck: Bottleneck;
  readonly nodePack: string;
  readonly schemaName: string;
  readonly description?: string;
  readonly allowExtraFields: boolean;
  readonly mixins: readonly M[];
  /** The inputs as declared (without node attributes and mixin fields). */
  readonly inputSpecs: I;
  /** Every field in schema order: mixin fields, `id`, `is_intermediate`, `use_cache`, the inputs, `type`. */
  readonly fields: Readonly<Record<string, InputFieldSpec>>;
  readonly output: O;
  readonly outputType: O["type"];
  invoke(this: InvocationSelf<T, I, M>, context: InvocationContext): OutputReturn<O> | Promise<OutputReturn<O>>;
}

/** Any node definition, whatever its inputs and output. */
export type AnyInvocationDefinition = InvocationDefinition<string, InputFieldSpecs, Mixin, OutputDefinition>;

/** Input names no node may declare (node attributes, InvokeAI internals, and the mixins' fields). */
export const RESERVED_INPUT_NAMES: readonly string[] = [
  "id",
  "is_intermediate",
  "use_cache",
  "type",
  "workflow",
  "bottleneck",
  "idle_gpu_offloadable",
  "metadata",
  "board",
];

const ID_DESCRIPTION = "The id of this instance of an invocation. Must be unique among all instances of invocations.";

function nodeAttributeFields(
  type: string,
  useCache: boolean,
): {
  head: Record<string, InputFieldSpec>;
  tail: Record<string, InputFieldSpec>;
} {
  const attr = <S extends z.ZodType, D>(spec: InputFieldSpec<S, D>) => internalFieldSpec(spec, "node_attribute");
  return {
    head: {
      id: attr(InputField(z.string(), { input: "direct", description: ID_DESCRIPTION })),
      is_intermediate: attr(
        InputField(z.boolean(), {
          default: false,
          input: "direct",
          description: "Whether or not this is an intermediate invocation.",
          ui_type: "IsIntermediate",
          ui_hidden: false,
        }),
      ),
      use_cache: attr(
        InputField(z.boolean(), { default: useCache, input: "direct", description: "Whether or not to use the cache" }),
      ),
    },
    tail: { type: attr(InputField(z.literal(type), { default: type, input: "direct", title: "type" })) },
  };
}

function checkList(
  values: readonly string[] | undefined,
  allowed: readonly string[],
  hint: string,
  where: string,
  detail: Record<string, string>,
): void {
  for (const v of values ?? []) {
    if (!allowed.includes(v)) {
      throw new NodeDefinitionError(
        `${where}: ${hint} ${JSON.stringify(v)} is not one of ${allowed.join(", ")}`,
        detail,
      );
    }
  }
}

function checkInputSpec(name: string, spec: InputFieldSpec, where: string, detail: Record<string, string>): InputInfo {
  let type;
  try {
    type = typeExprFromSchema(spec.schema);
  } catch (err) {
    if (!(err instanceof UnsupportedSchemaError)) throw err;
    throw new NodeDefinitionError(`${where}: field "${name}": ${err.message}`, detail);
  }
  if (!["any", "connection", "direct"].includes(spec.input)) {
    throw new NodeDefinitionError(`${where}: field "${name}" has input ${JSON.stringify(spec.input)}`, detail);
  }
  const ui = spec.ui;
  if (ui.ui_type !== undefined) checkList([ui.ui_type], UI_TYPES, "ui_type", where, detail);
  if (ui.ui_component !== undefined) checkList([ui.ui_component], UI_COMPONENTS, "ui_component", where, detail);
  checkList(ui.ui_model_base, BASE_MODEL_TYPES, "ui_model_base", where, detail);
  checkList(ui.ui_model_type, MODEL_TYPES, "ui_model_type", where, detail);
  checkList(ui.ui_model_format, MODEL_FORMATS, "ui_model_format", where, detail);
  checkList(ui.ui_model_variant, ANY_MODEL_VARIANT_TYPES, "ui_model_variant", where, detail);
  if (spec.hasDefault && spec.default !== null) {
    const check = checkValue(spec.schema, spec.default);
    if (!check.ok) {
      throw new NodeDefinitionError(
        `${where}: the default of field "${name}" (${JSON.stringify(spec.default)}) is invalid: ${check.problem}`,
        detail,
      );
    }
  }
  return Object.freeze({ type, input: spec.input, kind: spec.fieldKind, required: !spec.hasDefault });
}

/**
 * Defines a node type (InvokeAI's `@invocation` class). Checks everything that can be checked without running it
 * and throws NodeDefinitionError naming the node type and field: a bad type id or version, a reserved or malformed
 * input name, an input not made with InputField, a default its schema rejects, an output not made with defineOutput.
 */
export function defineInvocation<
  const T extends string,
  I extends InputFieldSpecs,
  O extends OutputDefinition,
  M extends Mixin = never,
>(config: InvocationConfig<T, I, M, O>): InvocationDefinition<T, I, M, O> {
  assertTypeId(config.type, "node");
  const type = config.type;
  const where = `Node ${type}`;
  const nodeDetail = { node_type: type };

  const version = config.version;
  if (typeof version !== "string" || !isSemver(version)) {
    throw new NodeDefinitionError(
      `${where}: version ${JSON.stringify(version)} is not a semantic version such as "1.0.0"`,
      nodeDetail,
    );
  }
  const classification = config.classification ?? "stable";
  if (!CLASSIFICATIONS.includes(classification)) {
    throw new NodeDefinitionError(`${where}: unknown classification ${JSON.stringify(classification)}`, nodeDetail);
  }
  const bottleneck = config.bottleneck ?? "cpu";
  if (!BOTTLENECKS.includes(bottleneck)) {
    throw new NodeDefinitionError(
      `${where}: bottleneck must be one of ${BOTTLENECKS.join(", ")}, got ${JSON.stringify(bottleneck)}`,
      nodeDetail,
    );
  }
  const useCache = config.useCache ?? true;
  if (typeof useCache !== "boolean") throw new NodeDefinitionError(`${where}: useCache must be a boolean`, nodeDetail);
  if (config.tags !== undefined && (!Array.isArray(config.tags) || config.tags.some((t) => typeof t !== "string"))) {
    throw new NodeDefinitionError(`${where}: tags must be a list of strings`, nodeDetail);
  }
  if (typeof config.invoke !== "function") {
    throw new NodeDefinitionError(`${where}: invoke(context) must be a function`, nodeDetail);
  }
  if (!isOutputDefinition(config.output)) {
    throw new NodeDefinitionError(`${where}: output must be an output type made with defineOutput(...)`, nodeDetail);
  }

  const mixins = [...(config.mixins ?? [])];
  const mixinFields: Record<string, InputFieldSpec> = {};
  // InvokeAI lists the fields of the last base class first.
  for (const mixin of [...mixins].reverse()) {
    if (!isMixin(mixin) || !BUILTIN_MIXIN_NAMES.includes(mixin.name)) {
      throw new NodeDefinitionError(`${where}: mixins may only be WithMetadata and WithBoard`, nodeDetail);
    }
    Object.assign(mixinFields, mixin.fields);
  }

  const inputs: Record<string, InputFieldSpec> = {};
  for (const [name, spec] of Object.entries(config.inputs ?? {})) {
    const detail = { node_type: type, field: name };
    if (RESERVED_INPUT_NAMES.includes(name)) {
      const hint = name === "metadata" || name === "board" ? " (use the WithMetadata / WithBoard mixins)" : "";
      throw new NodeDefinitionError(`${where}: input name "${name}" is reserved${hint}`, detail);
    }
    assertFieldName(name, where, nodeDetail);
    if (!isInputFieldSpec(spec) || spec.fieldKind !== "input") {
      throw new NodeDefinitionError(`${where}: input "${name}" must be declared with InputField(schema, …)`, detail);
    }
    inputs[name] = spec;
  }

  const { head, tail } = nodeAttributeFields(type, useCache);
  const fields: Record<string, InputFieldSpec> = { ...mixinFields, ...head, ...inputs, ...tail };
  const infos: Record<string, InputInfo> = {};
  for (const [name, spec] of Object.entries(fields)) {
    infos[name] = checkInputSpec(name, spec, where, { node_type: type, field: name });
  }
  // `id` gets a uuid when missing, so it never blocks a node.
  infos.id = Object.freeze({ ...infos.id!, required: false });

  const schemaName =
    config.schemaName ?? (/Invocation$/.test(pascalCase(type)) ? pascalCase(type) : `${pascalCase(type)}Invocation`);
  const frozenFields = Object.freeze(fields);
  const definition: InvocationDefinition<T, I, M, O> = {
    atelierKind: "invocation_definition",
    type,
    ...(config.title === undefined ? {} : { title: config.title }),
    tags: Object.freeze([...(config.tags ?? [])]),
    ...(config.category === undefined ? {} : { category: config.category }),
    version,
    useCache,
    classification,
    bottleneck,
    nodePack: config.nodePack ?? "invokeai",
    schemaName,
    ...(config.description === undefined ? {} : { description: config.description }),
    allowExtraFields: config.allowExtraFields ?? false,
    mixins: Object.freeze(mixins),
    inputSpecs: config.inputs,
    fields: frozenFields,
    output: config.output,
    outputType: config.output.type,
    inputs: Object.freeze(infos),
    outputs: config.output.outputs as Readonly<Record<string, OutputInfo>>,
    invoke: config.invoke,
    validateValues(node: Readonly<Record<string, unknown>>): FieldIssue[] {
      return validateNodeValues({ type, fields: frozenFields }, node);
    },
  };
  return Object.freeze(definition);
}

/** Whether a value was made by `defineInvocation` (by any copy of @atelier/core). */
export function isInvocationDefinition(value: unknown): value is AnyInvocationDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { atelierKind?: unknown }).atelierKind === "invocation_definition"
  );
}

/** A copy of a definition that belongs to another node pack. */
export function withNodePack<D extends AnyInvocationDefinition>(definition: D, nodePack: string): D {
  return definition.nodePack === nodePack ? definition : Object.freeze({ ...definition, nodePack });
}
