import { InvocationCache } from "../invocation-cache/index.js";
import type { Services } from "../services/index.js";
import { SessionQueue, type RecoveryReport } from "../session-queue/index.js";
import { SessionProcessor, type SessionProcessorOptions, type StopOptions } from "./session-processor.js";

/** The services the queue runtime is built from (a full `Services` has them). */
export type QueueRuntimeServices = Pick<
  Services,
  "config" | "logger" | "events" | "database" | "images" | "tensors" | "conditioning" | "registry" | "createContext"
>;

/** Options of `createQueueRuntime`. */
export interface QueueRuntimeOptions extends Pick<
  SessionProcessorOptions,
  "queueId" | "pollIntervalMs" | "checkpointIntervalMs" | "yieldIntervalMs" | "logStats"
> {
  /** Start the processor at once (default true); a CLI that only reads the queue passes false. */
  startProcessor?: boolean;
}

/** The session queue, the invocation cache and the processor, wired to the services. */
export interface QueueRuntime {
  readonly queue: SessionQueue;
  readonly cache: InvocationCache;
  readonly processor: SessionProcessor;
  /** What start-up recovery did with items a previous process left running. */
  readonly recovery: RecoveryReport;
  /** Stops the processor gracefully and detaches the cache from the stores. */
  close(options?: StopOptions): Promise<void>;
}

// Values written in the last hour may belong to a session another process has not checkpointed yet.
const UNREFERENCED_GRACE_MS = 60 * 60 * 1000;

/**
 * Deletes tensors and conditioning that no queue item refers to any more (InvokeAI keeps them in a temp folder
 * that dies with the process; Atelier keeps them across restarts, so it must collect them). Returns the counts.
 */
export async function deleteUnreferencedObjects(
  services: Pick<QueueRuntimeServices, "tensors" | "conditioning" | "logger">,
  queue: SessionQueue,
  writtenBefore = new Date(Date.now() - UNREFERENCED_GRACE_MS),
): Promise<{ tensors: number; conditioning: number }> {
  const stores = [services.tensors, services.conditioning];
  const referenced = await queue.referencedObjectNames(stores.map((s) => s.kind));
  const keep = (name: string): boolean => referenced.has(name);
  const tensors = await services.tensors.deleteUnreferenced(keep, writtenBefore);
  const conditioning = await services.conditioning.deleteUnreferenced(keep, writtenBefore);
  if (tensors + conditioning > 0) {
    services.logger.info(`Deleted ${tensors} tensor(s) and ${conditioning} conditioning object(s) no queue item uses`);
  }
  return { tensors, conditioning };
}

/**
 * Builds the queue runtime from the services: the queue (config `max_queue_size`), the invocation cache (config
 * `node_cache_size`, dropping entries when images, tensors or conditioning are deleted) and the processor (config
 * `max_concurrent_nodes`). At start-up, items a previous process left running are failed as interrupted or, with
 * `resume_interrupted`, resumed; `clear_queue_on_startup` and `max_queue_history` are applied; then the processor
 * starts.
 */
export async function createQueueRuntime(
  services: QueueRuntimeServices,
  options: QueueRuntimeOptions = {},
): Promise<QueueRuntime> {
  const { config } = services;
  const queue = new SessionQueue({
    db: services.database.db,
    dialect: services.database.dialect,
    lookup: services.registry,
    events: services.events,
    logger: services.logger,
    maxQueueSize: config.max_queue_size,
  });
  const cache = new InvocationCache({ maxSize: config.node_cache_size });
  cache.watch(services.images);
  cache.watch(services.tensors);
  cache.watch(services.conditioning);
  const recovery = await queue.applyStartupPolicy({
    resume_interrupted: config.resume_interrupted,
    clear_queue_on_startup: config.clear_queue_on_startup,
    max_queue_history: config.max_queue_history ?? null,
  });
  // In the background: start-up need not wait, and values written from now on are younger than the cutoff.
  const cleaning = config.clean_objects_on_startup
    ? deleteUnreferencedObjects(services, queue).catch((error: unknown) => {
        services.logger.warning("Could not clean up unreferenced tensors and conditioning", { err: error });
      })
    : Promise.resolve();
  const processor = new SessionProcessor({
    queue,
    registry: services.registry,
    createContext: (data) => services.createContext(data),
    events: services.events,
    logger: services.logger,
    cache,
    maxConcurrentNodes: config.max_concurrent_nodes,
    persistObjects: async () => {
      await Promise.all([services.tensors.flush(), services.conditioning.flush()]);
    },
    ...options,
  });
  if (options.startProcessor ?? true) processor.start();
  return {
    queue,
    cache,
    processor,
    recovery,
    async close(stopOptions) {
      await processor.stop(stopOptions);
      await cleaning;
      cache.close();
    },
  };
}
