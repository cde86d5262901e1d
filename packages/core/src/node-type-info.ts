import type { TypeExpr } from "./type-expr.js";

/** How a value may reach an input: by edge, typed in directly, or either. */
export type InputKind = "any" | "connection" | "direct";
/** InvokeAI's field kinds as they appear in the JSON Schema (`field_kind`). */
export type FieldKind = "input" | "output" | "internal" | "node_attribute";

/** What graph validation and execution need to know about one input of a node type. */
export interface InputInfo {
  readonly type: TypeExpr;
  readonly input: InputKind;
  readonly kind: FieldKind;
  /** `orig_required`: no default was given, so a value must arrive (by edge or literal) before invoke. */
  readonly required: boolean;
}

/** What graph validation and execution need to know about one output field. */
export interface OutputInfo {
  readonly type: TypeExpr;
}

/** A problem with one literal field value of a node. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
  readonly value?: unknown;
}

/**
 * The typing view of a node type: what the graph layer needs, independent of how nodes are defined.
 * The registry hands these out; graph validation and `ExecutionState` only ever see this interface.
 */
export interface NodeTypeInfo {
  readonly type: string;
  /** Every field of the node, node attributes (`id`, `type`, `is_intermediate`, `use_cache`) included. */
  readonly inputs: Readonly<Record<string, InputInfo>>;
  /** The output type id, e.g. `image_output`. */
  readonly outputType: string;
  readonly outputs: Readonly<Record<string, OutputInfo>>;
  /** Validate the literal values present on a node JSON object (missing connection inputs are fine here). */
  validateValues(node: Readonly<Record<string, unknown>>): FieldIssue[];
}

/** Looks node types up by type id. */
export interface NodeTypeLookup {
  get(type: string): NodeTypeInfo | undefined;
}
