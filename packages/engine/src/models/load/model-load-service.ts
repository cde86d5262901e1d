import { stat, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { LoadedModel, LoadedModelWithoutConfig, ModelLoader, SubModelType } from "@atelier/core";
import type { EventBus } from "../../events/event-bus.js";
import type { EventJsonObject } from "../../events/event-payloads.js";
import type { Logger } from "../../logging/logger.js";
import { CachedConfiguredModel, CachedModel } from "../cache/loaded-model.js";
import type { CacheableModel, CacheRecord, ModelCache } from "../cache/model-cache.js";
import type { ModelConfig } from "../configs/model-config.js";
import { loadLocalPath } from "../loaders/builtin-loaders.js";
import type { ModelLoaderRegistry } from "../loaders/model-loader-registry.js";
import { ModelLoadError } from "../model-errors.js";

/** Options of ModelLoadService. */
export interface ModelLoadServiceOptions {
  cache: ModelCache;
  registry: ModelLoaderRegistry;
  /** Resolves a record's (possibly relative) path against models_dir. */
  resolvePath: (path: string) => string;
  events?: EventBus;
  logger?: Logger;
  /** Config `device`. */
  device?: string;
}

/** The cache key of a model or one of its submodels: `key[:submodel]`. */
export function modelCacheKey(key: string, submodelType: SubModelType | null | undefined): string {
  return submodelType === null || submodelType === undefined ? key : `${key}:${submodelType}`;
}

async function sizeOnDisk(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Frees what a custom loader returned, if it says how (the standard disposal protocol). */
function disposerOf(model: unknown): (() => void | Promise<void>) | undefined {
  if (typeof model !== "object" || model === null) return undefined;
  const m = model as { [Symbol.asyncDispose]?: () => Promise<void>; [Symbol.dispose]?: () => void };
  if (typeof m[Symbol.asyncDispose] === "function") return () => m[Symbol.asyncDispose]!();
  if (typeof m[Symbol.dispose] === "function") return () => m[Symbol.dispose]!();
  return undefined;
}

/**
 * Loads models through the cache (InvokeAI's ModelLoadService): `model_load_started`, then a cache hit or a load by
 * the loader registered for the model's (type, format, base), then `model_load_complete`.
 */
export class ModelLoadService {
  readonly cache: ModelCache;
  readonly registry: ModelLoaderRegistry;
  readonly #resolvePath: (path: string) => string;
  readonly #events: EventBus | undefined;
  readonly #logger: Logger | undefined;
  readonly #device: string;
  readonly #loaderIds = new WeakMap<ModelLoader, number>();
  #nextLoaderId = 1;

  constructor(options: ModelLoadServiceOptions) {
    this.cache = options.cache;
    this.registry = options.registry;
    this.#resolvePath = options.resolvePath;
    this.#events = options.events;
    this.#logger = options.logger;
    this.#device = options.device ?? "auto";
  }

  /** Loads a recorded model (or one of its submodels) into the cache and returns it, unlocked. */
  async loadModel(
    config: ModelConfig,
    submodelType: SubModelType | null = null,
    userId = "system",
  ): Promise<LoadedModel> {
    const payload = { config: config as unknown as EventJsonObject, submodel_type: submodelType, user_id: userId };
    this.#events?.emit("model_load_started", payload);
    const key = modelCacheKey(config.key, submodelType);
    const loader = this.registry.resolve(config);
    const path = this.#resolvePath(config.path);
    const load = (): Promise<CacheableModel> => {
      this.#logger?.debug(`Loading model ${config.name} (${key}) from ${path}`, { key, path });
      return loader({ config, submodelType, path, device: this.#device, logger: this.#logger });
    };
    const reload = () => this.cache.getOrLoad(key, load);
    const record = await reload();
    this.#events?.emit("model_load_complete", payload);
    return new CachedConfiguredModel(config, submodelType, record, this.cache, reload);
  }

  /**
   * Loads a file or folder that is not in the records (InvokeAI's `load_local_model`); the cache key is the path
   * (and the loader, when one is given). A custom loader's result is sized by the files it came from.
   */
  async loadLocalModel(path: string, loader?: ModelLoader): Promise<LoadedModelWithoutConfig> {
    const absolute = resolve(path);
    let key = absolute;
    let load: () => Promise<CacheableModel>;
    if (loader === undefined) {
      load = () => loadLocalPath(absolute, this.#device);
    } else {
      let id = this.#loaderIds.get(loader);
      if (id === undefined) {
        id = this.#nextLoaderId++;
        this.#loaderIds.set(loader, id);
      }
      key = `${absolute}|loader:${id}`;
      load = async () => {
        let model: unknown;
        try {
          model = await loader(absolute);
        } catch (cause) {
          throw new ModelLoadError(
            absolute,
            `the custom loader failed: ${(cause as Error).message}`,
            { path: absolute },
            cause,
          );
        }
        return { model, sizeBytes: await sizeOnDisk(absolute).catch(() => 0), dispose: disposerOf(model) };
      };
    }
    const reload = (): Promise<CacheRecord> => this.cache.getOrLoad(key, load);
    return new CachedModel(await reload(), this.cache, reload);
  }
}
