/**
 * Errors a node raises about one of its own inputs, in the SDK's NodeInputError form (node type, node id, field,
 * problem, value), so users see e.g. `Node integer_math (id "n1"): field b Cannot divide by zero; got 0`.
 */
import { AtelierError, NodeInputError } from "@atelier/core";

/** The part of a running node an error needs. */
export interface NodeRef {
  readonly type: string;
  readonly id: string;
}

/** Throws a NodeInputError about `field` of `node`. */
export function failField(node: NodeRef, field: string, problem: string, value: unknown): never {
  throw new NodeInputError(node.type, node.id, field, problem, value);
}

/**
 * Runs `fn`; a typed error from a helper that names a field in `details.field` becomes a NodeInputError naming this
 * node, so the message says which node failed. Other errors pass through.
 */
export function withFieldErrors<T>(node: NodeRef, values: Readonly<Record<string, unknown>>, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AtelierError && !(err instanceof NodeInputError) && typeof err.details.field === "string") {
      const field = err.details.field;
      throw new NodeInputError(node.type, node.id, field, err.message, values[field]);
    }
    throw err;
  }
}
