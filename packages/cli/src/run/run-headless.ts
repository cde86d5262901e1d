import { AtelierError } from "@atelier/core";
import { interpretInputValue, parseInputAssignment, parseRunDocument } from "@atelier/engine";
import { openEngine } from "@atelier/server";
import type { CliIo } from "../cli-io.js";
import { barRunProgress, plainRunProgress } from "./run-progress.js";

/** One session's end as `atelier run --json` prints it. */
export interface HeadlessCliRun {
  status: string;
  session_id: string;
  /** Source node id → output, or a list of outputs for nodes run once per iteration. */
  outputs: Record<string, unknown>;
  images: { image_name: string; path: string }[];
  error: { node_id: string | null; error_type: string; error_message: string } | null;
}

/** The JSON contract of `atelier run --json`; `runs` lists every session when batch nodes made several. */
export interface HeadlessCliResult extends HeadlessCliRun {
  runs?: HeadlessCliRun[];
}

const STATUS_RANK: Record<string, number> = { completed: 0, canceled: 1, failed: 2 };

/** Runs a graph or workflow document on an embedded engine, showing progress on stderr, and returns its outputs. */
export async function runHeadless(options: {
  /** The graph or workflow JSON, or the id of a workflow in the library (the shipped ones included). */
  document: unknown;
  workflowId?: string;
  assignments: readonly string[];
  root?: string;
  io: CliIo;
  json: boolean;
}): Promise<HeadlessCliResult> {
  const { io } = options;
  // Logs go to stderr so that stdout carries only results (and, with --json, exactly one JSON object).
  const engine = await openEngine({ root: options.root, logDestination: process.stderr, startProcessor: false });
  let document: ReturnType<typeof parseRunDocument>;
  try {
    const json =
      options.workflowId === undefined ? options.document : (await engine.workflows.get(options.workflowId)).workflow;
    document = parseRunDocument(json);
  } catch (error) {
    await engine.close();
    throw error;
  }
  const mine = new Set<number>();
  const progress =
    io.isTTY && !options.json ? barRunProgress(io, (id) => mine.has(id)) : plainRunProgress(io, (id) => mine.has(id));
  const unsubscribe = engine.subscribe((event) => progress.handle(event));
  try {
    const inputs: Record<string, unknown> = {};
    for (const assignment of options.assignments) {
      const { key, raw } = parseInputAssignment(assignment);
      const dot = key.lastIndexOf(".");
      const node = document.graph.nodes[key.slice(0, dot)];
      const type = node === undefined ? undefined : engine.lookup.get(node.type)?.inputs[key.slice(dot + 1)]?.type;
      inputs[key] = interpretInputValue(raw, type);
    }
    const enqueued = await engine.headless.run(document, {
      inputs,
      queue_id: "default",
      prepend: false,
      origin: "cli",
      destination: null,
    });
    if (enqueued.item_ids.length === 0) {
      throw new AtelierError(
        "nothing_enqueued",
        `Nothing was enqueued (${enqueued.requested} requested): the queue is full`,
        { status: 409 },
      );
    }
    for (const id of enqueued.item_ids) mine.add(id);
    await engine.startProcessor();
    const runs: HeadlessCliRun[] = [];
    for (const itemId of enqueued.item_ids) {
      const ended = await engine.headless.wait("default", itemId, Number.MAX_SAFE_INTEGER);
      runs.push({
        status: ended.status,
        session_id: ended.session_id,
        outputs: ended.outputs,
        images: await Promise.all(
          ended.images.map(async (image) => ({
            image_name: image.image_name,
            path: await engine.imagePath(image.image_name),
          })),
        ),
        error: ended.error,
      });
    }
    const worst = runs.reduce((a, b) => ((STATUS_RANK[b.status] ?? 3) > (STATUS_RANK[a.status] ?? 3) ? b : a));
    const first = runs[0];
    const result: HeadlessCliResult = { ...first, status: worst.status, error: worst.error };
    if (runs.length > 1) result.runs = runs;
    return result;
  } finally {
    unsubscribe();
    progress.stop();
    await engine.close();
  }
}
