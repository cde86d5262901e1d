import { Command, InvalidArgumentError } from "commander";
import { startServer } from "@atelier/server";
import type { CliIo } from "../cli-io.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("must be a port number 0-65535");
  return port;
}

/** `atelier serve`: API, processor and storage in one process, until SIGINT/SIGTERM. */
export function serveCommand(io: CliIo): Command {
  return new Command("serve")
    .description("Serve the HTTP + websocket API and run the queue")
    .option("--root <dir>", "root folder (default $ATELIER_ROOT or ~/atelier)")
    .option("--host <host>", "address to bind (default from atelier.yaml: 127.0.0.1)")
    .option("--port <port>", "port to bind (default from atelier.yaml: 9090; 0 picks a free one)", parsePort)
    .action(async (opts: { root?: string; host?: string; port?: number }) => {
      const running = await startServer({ root: opts.root, host: opts.host, port: opts.port });
      io.out(`Atelier is running at ${running.url} (root ${running.root})`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          io.err(`Received ${signal}, shutting down…`);
          running.close().then(
            () => resolve(),
            (error: unknown) => {
              io.err(`Error while shutting down: ${error instanceof Error ? error.message : String(error)}`);
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      io.err("Stopped.");
      // Everything is closed; should a library still hold the event loop open, don't hang the terminal.
      setTimeout(() => process.exit(), 2000).unref();
    });
}
