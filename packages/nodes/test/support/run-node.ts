import {
  runInvocation,
  type AnyInvocationDefinition,
  type InvocationContext,
  type InvocationOutputObject,
} from "@atelier/core";

/** Runs a node definition with the given input values (as a graph would hand them over) in `context`. */
export function runNode(
  def: { readonly type: string },
  inputs: Record<string, unknown>,
  context: InvocationContext,
  id = "node-1",
): Promise<InvocationOutputObject> {
  return runInvocation(def as AnyInvocationDefinition, { id, type: def.type, ...inputs }, context);
}
