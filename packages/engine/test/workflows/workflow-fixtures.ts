/** Builds workflows in InvokeAI's UI format (meta 3.0.0), the way the workflow editor saves them. */

export interface FixtureInput {
  label?: string;
  value?: unknown;
}

/** One invocation node of a UI workflow. */
export function invocationNode(
  id: string,
  type: string,
  inputs: Record<string, FixtureInput>,
  extra: { isIntermediate?: boolean; useCache?: boolean; label?: string } = {},
): Record<string, unknown> {
  return {
    id,
    type: "invocation",
    position: { x: 0, y: 0 },
    data: {
      id,
      type,
      version: "1.0.0",
      nodePack: "invokeai",
      label: extra.label ?? "",
      notes: "",
      isOpen: true,
      isIntermediate: extra.isIntermediate ?? true,
      useCache: extra.useCache ?? true,
      inputs: Object.fromEntries(
        Object.entries(inputs).map(([name, input]) => [name, { name, label: input.label ?? "", value: input.value }]),
      ),
    },
  };
}

/** One data edge of a UI workflow. */
export function edge(
  source: string,
  sourceHandle: string,
  target: string,
  targetHandle: string,
): Record<string, unknown> {
  return {
    id: `reactflow__edge-${source}${sourceHandle}-${target}${targetHandle}`,
    type: "default",
    source,
    target,
    sourceHandle,
    targetHandle,
  };
}

/** A whole UI workflow document. */
export function workflowDocument(
  nodes: Record<string, unknown>[],
  edges: Record<string, unknown>[],
  exposedFields: { nodeId: string; fieldName: string }[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "Test workflow",
    author: "tests",
    description: "A workflow built by the tests",
    version: "1.0.0",
    contact: "",
    tags: "test, math",
    notes: "",
    exposedFields,
    meta: { version: "3.0.0", category: "user" },
    nodes,
    edges,
    ...extra,
  };
}

/** integer a + integer b → add, with a notes node, a collapsed edge and three exposed fields (one dangling). */
export function additionWorkflow(): Record<string, unknown> {
  return workflowDocument(
    [
      invocationNode("a", "integer", { value: { label: "First number", value: 2 } }),
      invocationNode("b", "integer", { value: { value: 3 } }),
      invocationNode("sum", "add", { a: { value: 0 }, b: { value: 0 } }, { isIntermediate: false, useCache: false }),
      {
        id: "note-1",
        type: "notes",
        position: { x: 10, y: 10 },
        data: { id: "note-1", type: "notes", label: "Note", notes: "hi", isOpen: true },
      },
    ],
    [
      edge("a", "value", "sum", "a"),
      edge("b", "value", "sum", "b"),
      { ...edge("a", "value", "sum", "a"), id: "c1", type: "collapsed" },
    ],
    [
      { nodeId: "a", fieldName: "value" },
      { nodeId: "sum", fieldName: "b" },
      { nodeId: "ghost", fieldName: "value" },
    ],
  );
}
