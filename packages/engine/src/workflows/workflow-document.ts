import { InvalidWorkflowError } from "./workflow-errors.js";
import { WORKFLOW_CATEGORIES } from "./workflow-types.js";
import type { Workflow, WorkflowCategory, WorkflowWithoutID } from "./workflow-types.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const STRING_FIELDS = ["name", "author", "description", "version", "contact", "tags", "notes"] as const;

/**
 * Checks a workflow document against InvokeAI's `WorkflowWithoutID` shape and returns it typed.
 * Missing descriptive strings are filled with "" (the UI always writes them; hand-written files often don't),
 * but the structural parts (nodes, edges, meta) must be there. Unknown keys are kept.
 */
export function parseWorkflow(value: unknown, path = "workflow"): WorkflowWithoutID {
  if (!isRecord(value)) throw new InvalidWorkflowError(path, "must be a JSON object", value);
  const out: Record<string, unknown> = { ...value };
  for (const key of STRING_FIELDS) {
    const v = value[key];
    if (v === undefined || v === null) out[key] = "";
    else if (typeof v !== "string") throw new InvalidWorkflowError(`${path}.${key}`, "must be a string", v);
  }
  const meta = value.meta;
  if (meta === undefined) {
    out.meta = { version: "3.0.0", category: "user" };
  } else {
    if (!isRecord(meta)) throw new InvalidWorkflowError(`${path}.meta`, "must be an object", meta);
    if (typeof meta.version !== "string")
      throw new InvalidWorkflowError(`${path}.meta.version`, "must be a string", meta.version);
    const category = meta.category ?? "user";
    if (!WORKFLOW_CATEGORIES.includes(category as WorkflowCategory)) {
      throw new InvalidWorkflowError(
        `${path}.meta.category`,
        `must be one of ${WORKFLOW_CATEGORIES.join(", ")}`,
        category,
      );
    }
    out.meta = { ...meta, category };
  }
  const exposed = value.exposedFields ?? [];
  if (!Array.isArray(exposed)) throw new InvalidWorkflowError(`${path}.exposedFields`, "must be a list", exposed);
  exposed.forEach((field, i) => {
    if (!isRecord(field) || typeof field.nodeId !== "string" || typeof field.fieldName !== "string") {
      throw new InvalidWorkflowError(
        `${path}.exposedFields[${i}]`,
        "must be {nodeId: string, fieldName: string}",
        field,
      );
    }
  });
  out.exposedFields = exposed;
  if (!Array.isArray(value.nodes))
    throw new InvalidWorkflowError(`${path}.nodes`, "must be a list of nodes", value.nodes);
  value.nodes.forEach((node, i) => {
    const at = `${path}.nodes[${i}]`;
    if (!isRecord(node)) throw new InvalidWorkflowError(at, "must be an object", node);
    if (typeof node.id !== "string" || node.id === "")
      throw new InvalidWorkflowError(`${at}.id`, "must be a non-empty string", node.id);
    if (typeof node.type !== "string") throw new InvalidWorkflowError(`${at}.type`, "must be a string", node.type);
    if (!isRecord(node.data)) throw new InvalidWorkflowError(`${at}.data`, "must be an object", node.data);
    if (node.type === "invocation") {
      const data = node.data;
      if (typeof data.type !== "string" || data.type === "") {
        throw new InvalidWorkflowError(`${at}.data.type`, "must be the node's type id", data.type);
      }
      if (data.id !== undefined && data.id !== node.id) {
        throw new InvalidWorkflowError(`${at}.data.id`, `must equal the node id "${node.id}"`, data.id);
      }
      if (!isRecord(data.inputs))
        throw new InvalidWorkflowError(`${at}.data.inputs`, "must be an object of fields", data.inputs);
      for (const [name, input] of Object.entries(data.inputs)) {
        if (!isRecord(input))
          throw new InvalidWorkflowError(`${at}.data.inputs.${name}`, "must be a field object", input);
      }
    }
  });
  if (!Array.isArray(value.edges))
    throw new InvalidWorkflowError(`${path}.edges`, "must be a list of edges", value.edges);
  value.edges.forEach((edge, i) => {
    const at = `${path}.edges[${i}]`;
    if (!isRecord(edge)) throw new InvalidWorkflowError(at, "must be an object", edge);
    for (const key of ["source", "target"] as const) {
      if (typeof edge[key] !== "string") throw new InvalidWorkflowError(`${at}.${key}`, "must be a node id", edge[key]);
    }
  });
  if (value.form !== undefined && value.form !== null && !isRecord(value.form)) {
    throw new InvalidWorkflowError(`${path}.form`, "must be an object or null", value.form);
  }
  return out as WorkflowWithoutID;
}

/** Like `parseWorkflow`, and requires the library id (`Workflow`). */
export function parseWorkflowWithId(value: unknown, path = "workflow"): Workflow {
  const workflow = parseWorkflow(value, path);
  if (typeof workflow.id !== "string" || workflow.id === "") {
    throw new InvalidWorkflowError(`${path}.id`, "must be the workflow's id", workflow.id);
  }
  return workflow as Workflow;
}
