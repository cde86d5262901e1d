import { buildComponentSchemas } from "@atelier/core";
import { resolveModelInputs, WorkflowLibrary, type QueueRuntime, type Services } from "@atelier/engine";
import { boardsPort } from "./adapters/boards-port.js";
import { imagesPort } from "./adapters/images-port.js";
import { logLevelControl } from "./adapters/log-level-control.js";
import { queuePort } from "./adapters/queue-port.js";
import { buildServer, type AtelierServer } from "./build-server.js";
import { invokeaiExtraSchemas } from "./openapi/invokeai-extra-schemas.js";
import { batchExpanderFor } from "./headless/batch-expander.js";
import { HeadlessRunner } from "./headless/headless-runner.js";
import { allRoutes } from "./routes/index.js";
import { stylePresetsPort } from "./routes/style-preset-routes.js";
import { serverVersion } from "./server-version.js";

/** Options of `createServer`. */
export interface CreateServerOptions {
  /** The queue, processor and invocation cache (`createQueueRuntime(services)`). */
  runtime: QueueRuntime;
  /** Shown by `/api/v1/app/version`; default the server package's version. */
  version?: string;
  /** Close the runtime and the services when the server closes (default false: the caller owns them). */
  closeEngine?: boolean;
}

/** The parts of the engine the HTTP layer is built from (a workflow library over the services' database). */
export function createWorkflowLibrary(services: Services): WorkflowLibrary {
  return new WorkflowLibrary(services.db, { thumbnailsDir: services.config.paths.workflowThumbnails });
}

/**
 * The Fastify app over the engine: every route of the API (InvokeAI's paths and shapes plus headless runs),
 * `/openapi.json` with every node and output schema, `/docs`, `/`, and socket.io at `/ws/socket.io`.
 */
export async function createServer(services: Services, options: CreateServerOptions): Promise<AtelierServer> {
  const { config } = services;
  const { runtime } = options;
  const version = options.version ?? serverVersion();
  const workflows = createWorkflowLibrary(services);
  const processor = {
    status: () => runtime.processor.getStatus(),
    pause: () => void runtime.processor.pause(),
    resume: () => void runtime.processor.resume(),
  };
  const queue = queuePort(runtime.queue, processor);
  const subscribeEvents = (listener: Parameters<typeof services.events.onAny>[0]) => services.events.onAny(listener);
  const runner = new HeadlessRunner({
    queue,
    subscribe: subscribeEvents,
    lookup: services.registry,
    batchExpander: (graph) => batchExpanderFor(graph, services.boards),
    resolveInputs: (graph, inputs) => resolveModelInputs(graph, inputs, services.registry, services.models.records),
  });
  const routes = allRoutes({
    app: {
      version,
      config: config as unknown as Readonly<Record<string, unknown>>,
      setFields: [],
      logLevel: logLevelControl(services.logger),
      invocationCache: runtime.cache,
    },
    images: imagesPort(services.images),
    boards: boardsPort(services.boards),
    queue,
    workflows,
    headless: { workflows, run: (doc, o) => runner.run(doc, o), wait: (q, i, t) => runner.wait(q, i, t) },
    models: services.models,
    stylePresets: stylePresetsPort(services.stylePresets),
  });
  return buildServer({
    version,
    root: config.paths.root,
    routes,
    nodeSchemas: () => ({ ...invokeaiExtraSchemas(), ...buildComponentSchemas(services.registry) }),
    subscribeEvents,
    uploadMaxBytes: config.upload_max_bytes,
    cors: {
      origins: config.allow_origins,
      credentials: config.allow_credentials,
      methods: config.allow_methods,
      headers: config.allow_headers,
    },
    onClose: options.closeEngine
      ? async () => {
          await runtime.close();
          await services.close();
        }
      : undefined,
  });
}
