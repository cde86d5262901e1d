/**
 * Builds InvokeAI workflow documents (the UI's JSON: `nodes` list with `data.inputs`, `edges` with handles,
 * `exposedFields`) from a compact description, so that the shipped workflows stay short and readable.
 */

/** One node of a workflow description: its type, literal input values and an optional label. */
export interface WorkflowNodeSpec {
  readonly type: string;
  readonly version: string;
  readonly label?: string;
  readonly inputs?: Readonly<Record<string, unknown>>;
}

/** A compact workflow: nodes by id, edges as `"from.field -> to.field"`, and the fields shown to the user. */
export interface WorkflowSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tags: string;
  readonly nodes: Readonly<Record<string, WorkflowNodeSpec>>;
  readonly edges: readonly string[];
  /** `"node.field"` keys, in the order a form shows them. */
  readonly exposed: readonly string[];
}

/** A workflow document in InvokeAI's shape (schema 3.0.0), category `default`. */
export interface DefaultWorkflowDocument {
  readonly id: string;
  readonly name: string;
  readonly author: string;
  readonly description: string;
  readonly version: string;
  readonly contact: string;
  readonly tags: string;
  readonly notes: string;
  readonly exposedFields: readonly { readonly nodeId: string; readonly fieldName: string }[];
  readonly meta: { readonly version: string; readonly category: "default" };
  readonly nodes: readonly Record<string, unknown>[];
  readonly edges: readonly Record<string, unknown>[];
}

function splitKey(key: string, where: string): [string, string] {
  const dot = key.lastIndexOf(".");
  if (dot <= 0) throw new Error(`${where}: "${key}" is not "node.field"`);
  return [key.slice(0, dot), key.slice(dot + 1)];
}

/** The workflow document of a compact description; throws when an edge or exposed field names no node. */
export function buildWorkflow(spec: WorkflowSpec): DefaultWorkflowDocument {
  const ids = Object.keys(spec.nodes);
  const nodes = ids.map((id, index) => {
    const node = spec.nodes[id]!;
    const inputs = Object.fromEntries(
      Object.entries(node.inputs ?? {}).map(([name, value]) => [name, { name, label: "", value }]),
    );
    return {
      id,
      type: "invocation",
      // Laid out left to right in declaration order, as a readable starting point in a node editor.
      position: { x: index * 360, y: 0 },
      data: {
        id,
        type: node.type,
        version: node.version,
        label: node.label ?? "",
        notes: "",
        isOpen: true,
        isIntermediate: true,
        useCache: true,
        inputs,
      },
    };
  });
  const edges = spec.edges.map((text) => {
    const [from, to] = text.split("->").map((s) => s.trim());
    if (from === undefined || to === undefined) throw new Error(`workflow ${spec.id}: edge "${text}" has no "->"`);
    const [source, sourceHandle] = splitKey(from, `workflow ${spec.id}`);
    const [target, targetHandle] = splitKey(to, `workflow ${spec.id}`);
    for (const id of [source, target]) {
      if (!(id in spec.nodes)) throw new Error(`workflow ${spec.id}: edge "${text}" names no node "${id}"`);
    }
    return {
      id: `reactflow__edge-${source}${sourceHandle}-${target}${targetHandle}`,
      type: "default",
      source,
      target,
      sourceHandle,
      targetHandle,
    };
  });
  const exposedFields = spec.exposed.map((key) => {
    const [nodeId, fieldName] = splitKey(key, `workflow ${spec.id}`);
    if (!(nodeId in spec.nodes)) throw new Error(`workflow ${spec.id}: exposed field "${key}" names no node`);
    return { nodeId, fieldName };
  });
  return {
    id: spec.id,
    name: spec.name,
    author: "Atelier",
    description: spec.description,
    version: "1.0.0",
    contact: "",
    tags: spec.tags,
    notes: "",
    exposedFields,
    meta: { version: "3.0.0", category: "default" },
    nodes,
    edges,
  };
}
