import { totalmem } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../database/database-schema.js";
import type { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import { defaultCacheRamBytes, ModelCache } from "./cache/model-cache.js";
import type { RemoteApiToken } from "./download/http-get.js";
import { DownloadQueue } from "./download/download-queue.js";
import type { HashingAlgorithm } from "./hash/model-hash.js";
import { HuggingFaceClient } from "./hugging-face/hf-client.js";
import { HF_TOKEN_FILE_NAME, HuggingFaceLogin } from "./hugging-face/hf-login.js";
import { ModelInstallService } from "./install/model-install-service.js";
import { ModelLoadService } from "./load/model-load-service.js";
import { registerBuiltinLoaders } from "./loaders/builtin-loaders.js";
import { ModelLoaderRegistry } from "./loaders/model-loader-registry.js";
import { ModelImages } from "./records/model-images.js";
import { ModelRecords } from "./records/model-records.js";
import { useOnnxSessionSettings, type OnnxSessionSettings } from "./loaders/onnx-settings.js";

/** The config fields the model manager reads (a full AtelierConfig satisfies it). */
export interface ModelManagerConfig {
  readonly paths: { readonly models: string; readonly downloadCache: string };
  readonly hashing_algorithm: HashingAlgorithm;
  readonly allow_unknown_models: boolean;
  readonly allow_private_download_urls: boolean;
  readonly remote_api_tokens?: readonly RemoteApiToken[];
  readonly scan_models_on_startup: boolean;
  readonly max_cache_ram_gb?: number;
  readonly model_cache_keep_alive_min: number;
  readonly device: string;
  readonly onnx_intra_op_threads?: number;
  readonly onnx_inter_op_threads?: number;
  readonly onnx_graph_optimization?: OnnxSessionSettings["optimization"];
}

/** Options of `createModelManager`. */
export interface ModelManagerOptions {
  db: Kysely<Database>;
  config: ModelManagerConfig;
  events?: EventBus;
  logger?: Logger;
  /** Hugging Face hub base URL; default `$HF_ENDPOINT`, else https://huggingface.co. */
  hfEndpoint?: string;
  /** Download tuning (tests shorten the waits). */
  downloads?: { concurrency?: number; maxRetries?: number; retryDelayMs?: number; progressIntervalMs?: number };
  /** System memory, for the default cache budget; default `os.totalmem()`. */
  totalMemoryBytes?: number;
}

const GB = 1024 ** 3;

/**
 * The model manager: records, identification and install, downloads, the Hugging Face client, loaders and the
 * memory-bounded cache, wired once (InvokeAI's ModelManagerService with its `store`, `install`, `load`).
 */
export class ModelManager {
  readonly records: ModelRecords;
  readonly cache: ModelCache;
  readonly loaders: ModelLoaderRegistry;
  readonly load: ModelLoadService;
  readonly downloads: DownloadQueue;
  readonly hf: HuggingFaceClient;
  readonly install: ModelInstallService;
  readonly config: ModelManagerConfig;
  /** Cover images of models, in `models/.images/`. */
  readonly images: ModelImages;
  /** The stored Hugging Face token (`models/.hf_token`), sent to the hub by default. */
  readonly hfLogin: HuggingFaceLogin;

  constructor(options: ModelManagerOptions) {
    const { config, events, logger } = options;
    this.config = config;
    useOnnxSessionSettings({
      intra: config.onnx_intra_op_threads ?? 0,
      inter: config.onnx_inter_op_threads ?? 0,
      optimization: config.onnx_graph_optimization ?? "all",
    });
    this.records = new ModelRecords(options.db, { modelsDir: config.paths.models });
    const maxBytes =
      config.max_cache_ram_gb !== undefined
        ? config.max_cache_ram_gb * GB
        : defaultCacheRamBytes(options.totalMemoryBytes ?? totalmem());
    this.cache = new ModelCache({ maxBytes, logger, keepAliveMinutes: config.model_cache_keep_alive_min });
    this.loaders = new ModelLoaderRegistry();
    registerBuiltinLoaders(this.loaders);
    this.load = new ModelLoadService({
      cache: this.cache,
      registry: this.loaders,
      resolvePath: (path) => this.records.toAbsolutePath(path),
      events,
      logger,
      device: config.device,
    });
    const tokens = config.remote_api_tokens;
    this.downloads = new DownloadQueue({
      events,
      allowPrivate: config.allow_private_download_urls,
      tokens,
      ...options.downloads,
    });
    this.images = new ModelImages(join(config.paths.models, ".images"));
    this.hfLogin = new HuggingFaceLogin({ file: join(config.paths.models, HF_TOKEN_FILE_NAME) });
    this.hf = new HuggingFaceClient({
      endpoint: options.hfEndpoint,
      allowPrivate: config.allow_private_download_urls,
      tokens,
      defaultToken: () => this.hfLogin.token(),
    });
    this.install = new ModelInstallService({
      records: this.records,
      downloads: this.downloads,
      hf: this.hf,
      modelsDir: config.paths.models,
      downloadCacheDir: config.paths.downloadCache,
      hashingAlgorithm: config.hashing_algorithm,
      allowUnknown: config.allow_unknown_models,
      events,
      logger,
      progressIntervalMs: options.downloads?.progressIntervalMs,
      onModelDeleted: (key) => this.dropFromCache(key),
      images: this.images,
    });
  }

  /** Runs the start-up chores: removes temp folders of interrupted installs; with `scan_models_on_startup`, registers unregistered models. */
  async start(): Promise<void> {
    await this.install.cleanupTempDirs();
    if (this.config.scan_models_on_startup) await this.install.syncModelsDir();
  }

  /** Drops a model and its submodels from the cache (when unlocked). */
  dropFromCache(key: string): void {
    for (const cached of this.cache.keys()) if (cached === key || cached.startsWith(`${key}:`)) this.cache.drop(cached);
  }

  /** Cancels active installs and empties the cache. */
  async close(): Promise<void> {
    await this.install.stop();
    this.cache.clear();
    this.cache.close();
  }
}

/** Builds the model manager and runs its start-up chores. */
export async function createModelManager(options: ModelManagerOptions): Promise<ModelManager> {
  const manager = new ModelManager(options);
  await manager.start();
  return manager;
}
