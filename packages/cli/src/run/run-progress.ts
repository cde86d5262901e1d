import cliProgress from "cli-progress";
import type { AtelierEvent } from "@atelier/engine";
import type { CliIo } from "../cli-io.js";

/** Shows a run's progress from engine events: a bar per node on a terminal, plain lines otherwise. */
export interface RunProgress {
  handle(event: AtelierEvent): void;
  stop(): void;
}

function nodeLabel(payload: { invocation_source_id: string; invocation: Record<string, unknown> }): string {
  const type = typeof payload.invocation.type === "string" ? payload.invocation.type : "?";
  const execId = typeof payload.invocation.id === "string" ? payload.invocation.id : payload.invocation_source_id;
  // Iterated copies are named `<source>#<path>`; show the path so lines of one node stay apart.
  const suffix = execId.startsWith(`${payload.invocation_source_id}#`)
    ? execId.slice(payload.invocation_source_id.length)
    : "";
  return `${payload.invocation_source_id}${suffix} (${type})`;
}

/** Plain lines on stderr: one when a node starts, on each progress step with a percentage, and when it ends. */
export function plainRunProgress(io: CliIo, isMine: (itemId: number) => boolean): RunProgress {
  const started = new Map<string, number>();
  return {
    handle(event) {
      if (!("item_id" in event.payload) || !isMine(event.payload.item_id)) return;
      switch (event.name) {
        case "invocation_started":
          started.set(String(event.payload.invocation.id), Date.now());
          io.err(`started   ${nodeLabel(event.payload)}`);
          break;
        case "invocation_progress": {
          const pct = event.payload.percentage === null ? "" : ` ${Math.round(event.payload.percentage * 100)}%`;
          io.err(`progress  ${nodeLabel(event.payload)}${pct} ${event.payload.message}`);
          break;
        }
        case "invocation_complete": {
          const t0 = started.get(String(event.payload.invocation.id));
          const ms = t0 === undefined ? "" : ` in ${Date.now() - t0} ms`;
          io.err(`done      ${nodeLabel(event.payload)}${ms}`);
          break;
        }
        case "invocation_error":
          io.err(`failed    ${nodeLabel(event.payload)}: ${event.payload.error_type}: ${event.payload.error_message}`);
          break;
        default:
          break;
      }
    },
    stop() {},
  };
}

/** A progress bar per node on stderr (a terminal), updated by progress events and filled when the node ends. */
export function barRunProgress(io: CliIo, isMine: (itemId: number) => boolean): RunProgress {
  const multibar = new cliProgress.MultiBar(
    {
      stream: io.stderr,
      format: " {bar} {percentage}% | {node} {message}",
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    handle(event) {
      if (!("item_id" in event.payload) || !isMine(event.payload.item_id)) return;
      if (event.name === "invocation_started") {
        bars.set(
          String(event.payload.invocation.id),
          multibar.create(100, 0, { node: nodeLabel(event.payload), message: "" }),
        );
      } else if (event.name === "invocation_progress") {
        const bar = bars.get(String(event.payload.invocation.id));
        if (bar === undefined) return;
        if (event.payload.percentage === null) bar.update({ message: event.payload.message });
        else bar.update(Math.round(event.payload.percentage * 100), { message: event.payload.message });
      } else if (event.name === "invocation_complete") {
        bars.get(String(event.payload.invocation.id))?.update(100, { message: "done" });
      } else if (event.name === "invocation_error") {
        bars.get(String(event.payload.invocation.id))?.update({ message: `failed: ${event.payload.error_message}` });
      }
    },
    stop() {
      multibar.stop();
    },
  };
}
