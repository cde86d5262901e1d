import { BUILTIN_NODES, DEFAULT_WORKFLOWS, provideDiffusionToolkit } from "@atelier/nodes";
import {
  createQueueRuntime,
  createScheduler,
  loadTokenizer,
  createServices,
  resolveModelInputs,
  WorkflowLibrary,
  type AtelierEvent,
  type CreateServicesOptions,
  type LogDestination,
  type QueueRuntime,
  type Services,
} from "@atelier/engine";
import type { NodeRegistry, NodeTypeLookup } from "@atelier/core";
import { queuePort } from "./adapters/queue-port.js";
import { batchExpanderFor } from "./headless/batch-expander.js";
import { HeadlessRunner } from "./headless/headless-runner.js";
import type { SubscribeAll } from "./events/socket-bridge.js";

/** Options of `openEngine`. */
export interface OpenEngineOptions {
  root?: string;
  /** Config values that win over atelier.yaml and the environment (e.g. host, port from flags). */
  overrides?: CreateServicesOptions["overrides"];
  env?: NodeJS.ProcessEnv;
  /** Where logs go instead of the configured handlers (the CLI sends them to stderr). */
  logDestination?: LogDestination;
  /** Start the processor at once (default true). */
  startProcessor?: boolean;
  /** The node registry (default the process-wide one). */
  registry?: NodeRegistry;
  /** More node modules to register after the built-in nodes. */
  nodeModules?: readonly Readonly<Record<string, unknown>>[];
  /** Import custom node packs from the nodes folder (default true). */
  loadNodePacks?: boolean;
}

/** The engine in this process: services, queue runtime, and a headless runner over them. */
export interface Engine {
  services: Services;
  runtime: QueueRuntime;
  lookup: NodeTypeLookup;
  subscribe: SubscribeAll;
  headless: HeadlessRunner;
  /** The workflow library, with the shipped workflows installed. */
  workflows: WorkflowLibrary;
  /** Path of an image file on disk. */
  imagePath(imageName: string): Promise<string>;
  startProcessor(): void;
  /** Stops the processor and closes the services. */
  close(): Promise<void>;
}

/**
 * Builds the engine from a root folder with the built-in nodes and custom packs registered, recovers the queue, and
 * (by default) starts the processor: what `atelier serve` and `atelier run` both stand on.
 */
export async function openEngine(options: OpenEngineOptions = {}): Promise<Engine> {
  // The generation nodes reach the engine's tokenizers and schedulers through this hook (nodes may not import it).
  provideDiffusionToolkit({ loadTokenizer, createScheduler });
  const services = await createServices({
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.logDestination === undefined ? {} : { logDestination: options.logDestination }),
    nodeModules: [{ BUILTIN_NODES }, ...(options.nodeModules ?? [])],
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.loadNodePacks === undefined ? {} : { loadNodePacks: options.loadNodePacks }),
  });
  let runtime: QueueRuntime;
  let workflows: WorkflowLibrary;
  try {
    workflows = new WorkflowLibrary(services.db, { thumbnailsDir: services.config.paths.workflowThumbnails });
    await workflows.installDefaults(DEFAULT_WORKFLOWS);
    runtime = await createQueueRuntime(services, { startProcessor: options.startProcessor ?? true });
  } catch (error) {
    await services.close();
    throw error;
  }
  const subscribe: SubscribeAll = (listener: (event: AtelierEvent) => void) => services.events.onAny(listener);
  const processor = {
    status: () => runtime.processor.getStatus(),
    pause: () => void runtime.processor.pause(),
    resume: () => void runtime.processor.resume(),
  };
  const headless = new HeadlessRunner({
    queue: queuePort(runtime.queue, processor),
    subscribe,
    lookup: services.registry,
    batchExpander: (graph) => batchExpanderFor(graph, services.boards),
    resolveInputs: (graph, inputs) => resolveModelInputs(graph, inputs, services.registry, services.models.records),
  });
  let closing: Promise<void> | undefined;
  return {
    services,
    runtime,
    lookup: services.registry,
    subscribe,
    headless,
    workflows,
    imagePath: (name) => services.images.getPath(name),
    startProcessor: () => void runtime.processor.start(),
    close: () =>
      (closing ??= (async () => {
        await runtime.close();
        await services.close();
      })()),
  };
}
