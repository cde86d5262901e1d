import { createServer as createNetServer } from "node:net";
import { createServer, createWorkflowLibrary } from "./create-server.js";
import type { AtelierServer } from "./build-server.js";
import { openEngine, type Engine, type OpenEngineOptions } from "./open-engine.js";

/** Options of `startServer` (what `atelier serve` takes). */
export interface StartServerOptions extends Omit<OpenEngineOptions, "startProcessor"> {
  host?: string;
  port?: number;
}

/** A running server with its engine. */
export interface RunningServer {
  url: string;
  root: string;
  server: AtelierServer;
  engine: Engine;
  /** Stops accepting requests, stops the processor (the running item gets its grace period) and closes storage. */
  close(): Promise<void>;
}

/** How many ports after the configured one are tried when it is taken (InvokeAI picks the next free port too). */
const PORT_ATTEMPTS = 10;

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function choosePort(host: string, port: number): Promise<number> {
  if (port === 0) return 0;
  for (let candidate = port; candidate < port + PORT_ATTEMPTS && candidate <= 65535; candidate++) {
    if (await portIsFree(host, candidate)) return candidate;
  }
  return port;
}

/** Starts API, processor and storage in one process (`atelier serve`) and resolves once it listens. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const overrides: NonNullable<OpenEngineOptions["overrides"]> = { ...options.overrides };
  if (options.host !== undefined) overrides.host = options.host;
  if (options.port !== undefined) overrides.port = options.port;
  const engine = await openEngine({ ...options, overrides });
  const { config, logger } = engine.services;
  try {
    // Touch the library once so that a broken workflow table fails start-up, not the first request.
    await createWorkflowLibrary(engine.services).list({ per_page: 1 });
    const server = await createServer(engine.services, { runtime: engine.runtime, closeEngine: true });
    const port = await choosePort(config.host, config.port);
    if (port !== config.port) logger.warning(`Port ${config.port} is taken; using ${port}`);
    const url = await server.listen(config.host, port);
    logger.info(`Atelier is serving at ${url} (root ${config.paths.root})`);
    return { url, root: config.paths.root, server, engine, close: () => server.close() };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
