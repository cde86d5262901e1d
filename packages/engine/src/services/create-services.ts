import { AtelierError, getDefaultRegistry, registerModuleExports, type NodeRegistry } from "@atelier/core";
import type { Kysely } from "kysely";
import { FsBlobStore, type BlobStore } from "../blobs/index.js";
import { BoardService } from "../boards/index.js";
import { loadConfig, type AtelierConfig, type LoadConfigOptions } from "../config/index.js";
import { openDatabase, type Database, type OpenedDatabase } from "../database/index.js";
import { EventBus } from "../events/index.js";
import { ImageFiles } from "../image-files/index.js";
import { ImageRecords } from "../image-records/index.js";
import { ImageService } from "../images/index.js";
import {
  createInvocationContext,
  type EngineInvocationContext,
  type InvocationContextData,
  type InvocationContextServices,
} from "../invocation-context/index.js";
import { createLogger, type LogDestination, type Logger } from "../logging/index.js";
import { loadNodePacks, type NodePacksReport } from "../node-packs/index.js";
import { ConditioningStore, TensorStore } from "../object-store/index.js";
import { createContextModels, createModelManager, type ModelManager } from "../models/index.js";
import { StylePresetService } from "../style-presets/index.js";

/** Options of `createServices`. */
export interface CreateServicesOptions {
  /** Root folder (`--root`); else `$ATELIER_ROOT`; else `~/atelier`. Ignored when `config` is given. */
  readonly root?: string;
  /** Config file; default `<root>/atelier.yaml`. */
  readonly configFile?: string;
  /** Config values that win over the file and the environment (CLI flags, tests). */
  readonly overrides?: LoadConfigOptions["overrides"];
  /** Environment to read `ATELIER_*` from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** An already loaded config (then root/configFile/overrides/env are not read). */
  readonly config?: AtelierConfig;
  /** The root logger; default one made from the config. */
  readonly logger?: Logger;
  /** Where the default logger writes instead of its configured handlers. */
  readonly logDestination?: LogDestination;
  /** The node registry; default the process-wide one (`getDefaultRegistry()`). */
  readonly registry?: NodeRegistry;
  /** Node modules to register before the packs load, e.g. the exports of `@atelier/nodes` (the engine cannot import it). */
  readonly nodeModules?: readonly Readonly<Record<string, unknown>>[];
  /** Import the custom node packs from the nodes folder (default true). */
  readonly loadNodePacks?: boolean;
}

/** The engine: every service, wired once. Used by the session processor, the server and the CLI. */
export interface Services extends InvocationContextServices {
  readonly config: AtelierConfig;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly database: OpenedDatabase;
  /** Shortcut for `database.db`. */
  readonly db: Kysely<Database>;
  /** Blob storage rooted at the outputs folder (`images/…`, `tensors/…`, `conditioning/…`). */
  readonly blobs: BlobStore;
  readonly imageFiles: ImageFiles;
  readonly imageRecords: ImageRecords;
  readonly images: ImageService;
  readonly boards: BoardService;
  readonly tensors: TensorStore;
  readonly conditioning: ConditioningStore;
  /** The model manager: records, install, cache and loaders (`context.models`, `/api/v2/models`). */
  readonly models: ModelManager;
  /** Style presets (`context.stylePresets`, `/api/v1/style_presets`). */
  readonly stylePresets: StylePresetService;
  readonly registry: NodeRegistry;
  /** What the custom node pack loader did (empty when packs were not loaded). */
  readonly nodePacks: NodePacksReport;
  /** A fresh InvocationContext for one node run. */
  createContext(data: InvocationContextData): EngineInvocationContext;
  /** Waits for pending tensor/conditioning writes and closes the database. Safe to call twice. */
  close(): Promise<void>;
}

/** The configured blob backend is not available in this build. */
export class BlobBackendUnavailableError extends AtelierError {
  constructor(backend: string) {
    super(
      "blob_backend_unavailable",
      `Blob backend ${JSON.stringify(backend)} (config blob_backend) is not available yet; use "fs"`,
      {
        status: 503,
        details: { field: "blob_backend", value: backend },
      },
    );
  }
}

function createBlobStore(config: AtelierConfig): BlobStore {
  if (config.blob_backend !== "fs") throw new BlobBackendUnavailableError(config.blob_backend);
  return new FsBlobStore(config.paths.outputs);
}

/**
 * Builds the engine from the config: logger, database (migrated), blob store, image files and records, the image
 * and board services, the tensor and conditioning stores, the event bus and the node registry (with the given
 * node modules and the custom packs of the nodes folder). Anything opened is closed again if a later step fails.
 */
export async function createServices(options: CreateServicesOptions = {}): Promise<Services> {
  const config =
    options.config ??
    loadConfig({
      ...(options.root === undefined ? {} : { root: options.root }),
      ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
  const logger =
    options.logger ??
    createLogger(config, options.logDestination === undefined ? {} : { destination: options.logDestination });
  const blobs = createBlobStore(config);
  // Temp files of writes a crashed process never renamed; in the background, since nothing waits on them.
  const sweeping = (blobs.removeStaleTempFiles?.() ?? Promise.resolve(0)).then(
    (removed) => {
      if (removed > 0) logger.info(`Removed ${removed} unfinished temp file(s) left by an earlier run`);
    },
    (error: unknown) => logger.warning("Could not remove stale temp files", { err: error }),
  );
  const database = await openDatabase(config, { logger });
  try {
    const events = new EventBus({ logger });
    const imageFiles = new ImageFiles({
      blobs,
      cacheSize: config.image_cache_size,
      compressionLevel: config.pil_compress_level,
    });
    const imageRecords = new ImageRecords(database.db, { dialect: database.dialect });
    const images = new ImageService({
      db: database.db,
      records: imageRecords,
      files: imageFiles,
      logger,
      subfolderStrategy: config.image_subfolder_strategy,
    });
    const boards = new BoardService({ db: database.db, imageRecords, imageDeleter: images });
    const tensors = new TensorStore({ blobs, cacheBytes: config.tensor_cache_bytes });
    const conditioning = new ConditioningStore({ blobs, cacheBytes: config.tensor_cache_bytes });
    const models = await createModelManager({
      db: database.db,
      config,
      events,
      logger,
      hfEndpoint: (options.env ?? process.env).HF_ENDPOINT,
    });

    const stylePresets = new StylePresetService(database.db, { stylePresetsDir: config.paths.stylePresets });

    const registry = options.registry ?? getDefaultRegistry();
    registry.setLogger(logger);
    registry.setFilter({ allowNodes: config.allow_nodes ?? null, denyNodes: config.deny_nodes ?? null });
    for (const moduleExports of options.nodeModules ?? []) registerModuleExports(registry, moduleExports);
    const nodePacks: NodePacksReport =
      (options.loadNodePacks ?? true)
        ? await loadNodePacks(config.paths.nodes, registry, logger)
        : { loaded: [], failed: [], skipped: [] };

    let closing: Promise<void> | undefined;
    const services: Services = {
      config,
      logger,
      events,
      database,
      db: database.db,
      blobs,
      imageFiles,
      imageRecords,
      images,
      boards,
      tensors,
      conditioning,
      models,
      modelsFor: (data, util) =>
        createContextModels(models, {
          signalProgress: (message) => util.signalProgress(message),
          userId: data.queueItem.user_id ?? "system",
        }),
      stylePresets,
      registry,
      nodePacks,
      createContext: (data) => createInvocationContext(services, data),
      close: () => {
        closing ??= (async () => {
          await sweeping;
          for (const store of [tensors, conditioning]) {
            await store
              .flush()
              .catch((error: unknown) =>
                logger.error(`Could not write every ${store.kind} before closing`, { err: error }),
              );
          }
          await models
            .close()
            .catch((error: unknown) => logger.error("Could not close the model manager", { err: error }));
          await database.close();
        })();
        return closing;
      },
    };
    return services;
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}
