import { randomUUID } from "node:crypto";
import { InvalidWorkflowError } from "./workflow-errors.js";
import { parseWorkflow } from "./workflow-document.js";
import type { WorkflowInvocationData, WorkflowWithoutID } from "./workflow-types.js";

/** A node of a graph in InvokeAI's JSON form: `{id, type, ...field values}`. */
export type GraphNodeJSON = { id: string; type: string } & Record<string, unknown>;

/** An edge of a graph in InvokeAI's JSON form. */
export interface GraphEdgeJSON {
  source: { node_id: string; field: string };
  destination: { node_id: string; field: string };
}

/** A graph in InvokeAI's JSON form, as `POST enqueue_batch` takes it in `batch.graph`. */
export interface GraphJSON {
  id: string;
  nodes: Record<string, GraphNodeJSON>;
  edges: GraphEdgeJSON[];
}

/** An exposed field of the workflow, resolved against its node. */
export interface ResolvedExposedField {
  nodeId: string;
  fieldName: string;
  /** The node's type id. */
  nodeType: string;
  /** The field's label in the workflow, else its name. */
  label: string;
  /** The value the workflow holds for it (undefined when it is fed by an edge or unset). */
  value: unknown;
}

/** The graph a workflow describes, plus what a headless caller needs to know about its inputs. */
export interface WorkflowGraph {
  graph: GraphJSON;
  exposedFields: ResolvedExposedField[];
  /** Exposed fields that name no invocation node or field of the workflow; they are ignored (the UI drops them too). */
  ignoredExposedFields: { nodeId: string; fieldName: string; reason: string }[];
}

/** Node kinds that exist only in the editor (notes, image viewers): they never become graph nodes. */
function isInvocationNode(node: { type: string }): boolean {
  return node.type === "invocation";
}

/**
 * Board inputs in the UI hold "auto" (the UI's auto-add board) or "none" as sentinels; a headless run has no
 * auto-add board, so both mean "no board" and the field is left out.
 */
function isBoardSentinel(name: string, value: unknown): boolean {
  return name === "board" && (value === "auto" || value === "none");
}

/**
 * Converts a workflow in InvokeAI's UI format into the graph the UI would enqueue for it: invocation nodes become
 * `{id, type, is_intermediate, use_cache, ...input values}`, `default` edges become graph edges from
 * `source.sourceHandle` to `target.targetHandle`, inputs fed by an edge are left out of the node (the edge wins),
 * UI-only nodes (notes, current image) and `collapsed` edges are dropped. Batch nodes stay in the graph; the caller
 * expands them into `Batch.data`.
 */
export function workflowToGraph(workflowJson: unknown, options: { graphId?: string } = {}): WorkflowGraph {
  const workflow: WorkflowWithoutID = parseWorkflow(workflowJson);
  const nodes: Record<string, GraphNodeJSON> = {};
  const allNodeIds = new Set<string>();
  const dataById = new Map<string, WorkflowInvocationData>();

  workflow.nodes.forEach((node, index) => {
    if (allNodeIds.has(node.id)) {
      throw new InvalidWorkflowError(`workflow.nodes[${index}].id`, `duplicate node id "${node.id}"`, node.id);
    }
    allNodeIds.add(node.id);
    if (!isInvocationNode(node)) return;
    const data = node.data as WorkflowInvocationData;
    const graphNode: GraphNodeJSON = { id: node.id, type: data.type };
    for (const [name, input] of Object.entries(data.inputs)) {
      if (input.value === undefined || isBoardSentinel(name, input.value)) continue;
      graphNode[name] = input.value;
    }
    if (typeof data.isIntermediate === "boolean") graphNode.is_intermediate = data.isIntermediate;
    if (typeof data.useCache === "boolean") graphNode.use_cache = data.useCache;
    nodes[node.id] = graphNode;
    dataById.set(node.id, data);
  });

  const edges: GraphEdgeJSON[] = [];
  workflow.edges.forEach((edge, index) => {
    const at = `workflow.edges[${index}]`;
    if (edge.type === "collapsed") return;
    for (const end of ["source", "target"] as const) {
      if (!allNodeIds.has(edge[end])) {
        throw new InvalidWorkflowError(
          `${at}.${end}`,
          `names node "${edge[end]}", which is not in the workflow`,
          edge[end],
        );
      }
    }
    if (!(edge.source in nodes) || !(edge.target in nodes)) return;
    if (typeof edge.sourceHandle !== "string" || edge.sourceHandle === "") {
      throw new InvalidWorkflowError(
        `${at}.sourceHandle`,
        "must name the source node's output field",
        edge.sourceHandle,
      );
    }
    if (typeof edge.targetHandle !== "string" || edge.targetHandle === "") {
      throw new InvalidWorkflowError(
        `${at}.targetHandle`,
        "must name the target node's input field",
        edge.targetHandle,
      );
    }
    edges.push({
      source: { node_id: edge.source, field: edge.sourceHandle },
      destination: { node_id: edge.target, field: edge.targetHandle },
    });
  });
  for (const edge of edges) delete nodes[edge.destination.node_id][edge.destination.field];

  const exposedFields: ResolvedExposedField[] = [];
  const ignoredExposedFields: WorkflowGraph["ignoredExposedFields"] = [];
  for (const { nodeId, fieldName } of workflow.exposedFields) {
    const data = dataById.get(nodeId);
    if (data === undefined) {
      ignoredExposedFields.push({ nodeId, fieldName, reason: `no invocation node "${nodeId}" in the workflow` });
      continue;
    }
    const input = data.inputs[fieldName];
    if (input === undefined) {
      ignoredExposedFields.push({
        nodeId,
        fieldName,
        reason: `node "${nodeId}" (${data.type}) has no input "${fieldName}"`,
      });
      continue;
    }
    exposedFields.push({
      nodeId,
      fieldName,
      nodeType: data.type,
      label: typeof input.label === "string" && input.label !== "" ? input.label : fieldName,
      value: nodes[nodeId][fieldName],
    });
  }

  return { graph: { id: options.graphId ?? randomUUID(), nodes, edges }, exposedFields, ignoredExposedFields };
}
