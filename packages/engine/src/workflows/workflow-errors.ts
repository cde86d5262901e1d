import { AtelierError } from "@atelier/core";

/** No workflow with this id is in the library. */
export class WorkflowNotFoundError extends AtelierError {
  constructor(workflowId: string) {
    super("workflow_not_found", `Workflow "${workflowId}" was not found in the workflow library`, {
      status: 404,
      details: { workflow_id: workflowId },
    });
  }
}

/** A workflow document does not have InvokeAI's workflow shape; `path` says where (e.g. `nodes[2].data.inputs`). */
export class InvalidWorkflowError extends AtelierError {
  constructor(path: string, message: string, value?: unknown) {
    super("invalid_workflow", `Invalid workflow at ${path || "(root)"}: ${message}`, {
      status: 422,
      details: { field: path, ...(value === undefined ? {} : { value }) },
    });
  }
}

/** A named run input (`"<node_id>.<field>"`) does not name a settable field of the graph or workflow. */
export class RunInputError extends AtelierError {
  constructor(key: string, message: string, details: Record<string, unknown> = {}) {
    super("invalid_run_input", `Input "${key}": ${message}`, { status: 422, details: { input: key, ...details } });
  }
}
