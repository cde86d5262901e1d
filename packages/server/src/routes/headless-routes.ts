import { parseRunDocument, parseWorkflow, type RunDocument, type WorkflowLibrary } from "@atelier/engine";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import {
  Body_run_graph,
  Body_run_workflow,
  HeadlessRunResult,
  HeadlessWaitResult,
} from "../schemas/headless-schemas.js";

/** Options of one headless run, from the request body. */
export interface HeadlessRunOptions {
  inputs: Record<string, unknown>;
  queue_id: string;
  prepend: boolean;
  origin: string;
  destination: string | null;
}

/** What a headless run enqueued (the `HeadlessRunResult` body); `item` is the first queue item in wire shape. */
export type HeadlessRunOutput = Omit<z.output<typeof HeadlessRunResult>, "item"> & { item: object | null };

/** What the headless routes need: enqueue a run document, and wait for an item's end. */
export interface HeadlessPort {
  workflows: WorkflowLibrary;
  run(document: RunDocument, options: HeadlessRunOptions): Promise<HeadlessRunOutput>;
  wait(queueId: string, itemId: number, timeoutMs: number): Promise<z.output<typeof HeadlessWaitResult>>;
}

/** Longest a single `wait` request may block. */
const MAX_WAIT_SECONDS = 3600;

/** Headless runs (beyond InvokeAI): run a saved workflow or a graph with named inputs, then wait for its outputs. */
export function headlessRoutes(deps: { headless: HeadlessPort }): AnyRouteSpec[] {
  const { headless } = deps;
  const options = (body: z.output<typeof Body_run_workflow>): HeadlessRunOptions => ({
    inputs: body.inputs,
    queue_id: body.queue_id,
    prepend: body.prepend,
    origin: body.origin,
    destination: body.destination ?? null,
  });
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/workflows/i/{workflow_id}/run",
      operationId: "run_workflow",
      tag: "workflows",
      summary: "Run Workflow",
      description:
        'Runs a saved workflow headlessly: `{"inputs": {"<node_id>.<field>": value}}` sets node fields (exposed fields or any other), batch nodes expand as in the UI. Returns the enqueued item; `GET /queue/{queue_id}/i/{item_id}/wait` returns its outputs.',
      params: z.object({ workflow_id: z.string().describe("The workflow to run") }),
      body: Body_run_workflow,
      bodyRequired: false,
      response: { schema: HeadlessRunResult, status: 201, description: "Enqueued" },
      handler: async ({ params, body, reply }) => {
        const record = await headless.workflows.get(params.workflow_id);
        const result = await headless.run(
          parseRunDocument(record.workflow),
          options(body ?? Body_run_workflow.parse({})),
        );
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/graphs/run",
      operationId: "run_graph",
      tag: "graphs",
      summary: "Run Graph",
      description: "Runs a graph headlessly with named inputs; returns the enqueued item.",
      body: Body_run_graph,
      response: { schema: HeadlessRunResult, status: 201, description: "Enqueued" },
      handler: async ({ body, reply }) => {
        const document = parseRunDocument({ graph: body.graph });
        const workflow = body.workflow ? parseWorkflow(body.workflow) : null;
        const result = await headless.run({ ...document, workflow }, options(body));
        void reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/queue/{queue_id}/i/{item_id}/wait",
      operationId: "wait_for_queue_item",
      tag: "queue",
      summary: "Wait For Queue Item",
      description:
        "Waits until the item is completed, failed or canceled (or `timeout` seconds pass: then `timed_out` is true) and returns its outputs: image names and URLs, other values.",
      params: z.object({ queue_id: z.string(), item_id: z.number().int().describe("The queue item to wait for") }),
      query: z.object({
        timeout: z.number().min(0).max(MAX_WAIT_SECONDS).default(60).describe("Seconds to wait at most"),
      }),
      response: { schema: HeadlessWaitResult },
      handler: ({ params, query }) => headless.wait(params.queue_id, params.item_id, query.timeout * 1000),
    }),
  ];
}
