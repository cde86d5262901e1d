import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AtelierError } from "@atelier/core";
import { Command } from "commander";
import { runHeadless, type HeadlessCliResult } from "../run/run-headless.js";
import type { CliIo } from "../cli-io.js";

/** The graph or workflow file cannot be read or is not JSON. */
export class RunFileError extends AtelierError {
  constructor(path: string, reason: string) {
    super("run_file_unreadable", `Cannot read ${path}: ${reason}`, { status: 400, details: { path } });
  }
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new RunFileError(path, (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RunFileError(path, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function printHuman(io: CliIo, result: HeadlessCliResult): void {
  for (const run of result.runs ?? [result]) {
    if (run.status === "completed") {
      io.out(`Completed session ${run.session_id}`);
      for (const image of run.images) io.out(`  image ${image.image_name}: ${image.path}`);
      for (const [nodeId, output] of Object.entries(run.outputs)) {
        const shown = JSON.stringify(output);
        io.out(`  ${nodeId}: ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`);
      }
    } else if (run.error !== null) {
      io.err(`Node ${run.error.node_id ?? "?"} failed: ${run.error.error_type}: ${run.error.error_message}`);
    } else {
      io.err(`Session ${run.session_id} ended ${run.status}`);
    }
  }
}

const LIBRARY_ID = /^[A-Za-z0-9_-]+$/;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `atelier run <graph.json|workflow.json>`: run on the embedded engine, without a server. */
export function runCommand(io: CliIo): Command {
  return new Command("run")
    .description("Run a graph or workflow file, or a workflow of the library, on the embedded engine")
    .argument("<file|workflow-id>", "graph JSON or workflow JSON (InvokeAI's UI format), or a library workflow id")
    .option(
      "--set <node.field=value>",
      "set a node field (repeatable); the value is JSON when it parses, else text",
      collect,
      [],
    )
    .option("--root <dir>", "root folder (default $ATELIER_ROOT or ~/atelier)")
    .option("--json", "print one JSON object on stdout (and nothing else there)")
    .action(async (file: string, opts: { set: string[]; root?: string; json?: boolean }) => {
      const path = resolve(file);
      // A bare id that is not a file names a library workflow (e.g. the shipped `text_to_image_sd15`).
      const workflowId = LIBRARY_ID.test(file) && !existsSync(path) ? file : undefined;
      const json = workflowId === undefined ? await readJsonFile(path) : null;
      const result = await runHeadless({
        document: json,
        ...(workflowId === undefined ? {} : { workflowId }),
        assignments: opts.set,
        root: opts.root,
        io,
        json: opts.json === true,
      });
      if (opts.json) io.out(JSON.stringify(result));
      else printHuman(io, result);
      process.exitCode = result.status === "completed" ? 0 : 1;
    });
}
