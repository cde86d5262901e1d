import { stat, readdir } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import type {
  LoadedModel,
  LoadedModelWithoutConfig,
  LockedModel,
  LoraPatchTarget,
  ModelLoader,
  SubModelType,
} from "@atelier/core";
import type { EventBus } from "../../events/event-bus.js";
import type { EventJsonObject } from "../../events/event-payloads.js";
import type { Logger } from "../../logging/logger.js";
import { CachedConfiguredModel, CachedModel } from "../cache/loaded-model.js";
import type { CacheableModel, CacheRecord, ModelCache } from "../cache/model-cache.js";
import type { ModelConfig } from "../configs/model-config.js";
import { loadLocalPath } from "../loaders/builtin-loaders.js";
import type { ModelLoaderRegistry } from "../loaders/model-loader-registry.js";
import { ModelLoadError } from "../model-errors.js";
import { LazyStateDict } from "../loaders/lazy-state-dict.js";
import type { LoraStateDict, WeightedLora } from "../onnx/onnx-lora-patch.js";
import { loadOnnxWithLoras } from "../onnx/onnx-lora-session.js";

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

/** One LoRA to merge at load time: its record and weight. */
export interface LoraToApply {
  readonly config: ModelConfig;
  readonly weight: number;
}

/** The cache key of a model part with LoRAs merged: `key[:submodel]:lora=<key>@<weight>,…` (order kept). */
export function loraCacheKey(baseKey: string, loras: readonly LoraToApply[]): string {
  return `${baseKey}:lora=${loras.map((l) => `${l.config.key}@${l.weight}`).join(",")}`;
}

/** The state dict a loaded LoRA holds: a single file's, or a diffusers LoRA folder's weights. */
function loraStateDictOf(model: unknown, lora: ModelConfig): LoraStateDict {
  if (model instanceof LazyStateDict) return model;
  const dict = (model as { stateDict?: unknown } | null)?.stateDict;
  if (dict instanceof LazyStateDict) return dict;
  throw new ModelLoadError(`LoRA ${lora.name} (${lora.key})`, `its ${lora.format} files hold no weights to merge`, {
    key: lora.key,
  });
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
   * Loads an ONNX part with LoRAs merged into its weights, cached under its own key (`loraCacheKey`): the cached base
   * part is never touched, so loading without LoRAs gives the base again. LoRA files load through the cache as
   * state dicts and stay locked while they are merged.
   */
  async loadModelWithLoras(
    config: ModelConfig,
    submodelType: SubModelType | null,
    loras: readonly LoraToApply[],
    target: LoraPatchTarget,
    userId = "system",
  ): Promise<LoadedModel> {
    if (loras.length === 0) return this.loadModel(config, submodelType, userId);
    const what = `LoRAs (${loras.map((l) => l.config.name).join(", ")}) on model ${config.name} (${config.key})`;
    if (config.format !== "onnx")
      throw new ModelLoadError(what, `LoRAs merge into ONNX models only; this model's format is ${config.format}`, {
        key: config.key,
        format: config.format,
      });
    for (const lora of loras) {
      if (lora.config.type !== "lora")
        throw new ModelLoadError(
          what,
          `${lora.config.name} (${lora.config.key}) is a ${lora.config.type} model, not a LoRA`,
          {
            key: lora.config.key,
          },
        );
      if (lora.config.base !== config.base)
        throw new ModelLoadError(
          what,
          `LoRA ${lora.config.name} (${lora.config.key}) is for ${lora.config.base} models, this one is ${config.base}`,
          { key: lora.config.key, base: lora.config.base },
        );
    }
    const root = this.#resolvePath(config.path);
    let file = root;
    if (extname(root).toLowerCase() !== ".onnx") {
      if (submodelType === null)
        throw new ModelLoadError(what, "an ONNX pipeline takes LoRAs per submodel (unet, text_encoder, …)", {
          key: config.key,
        });
      file = join(root, submodelType, "model.onnx");
    }
    const payload = { config: config as unknown as EventJsonObject, submodel_type: submodelType, user_id: userId };
    this.#events?.emit("model_load_started", payload);
    const key = loraCacheKey(modelCacheKey(config.key, submodelType), loras);
    const load = async (): Promise<CacheableModel> => {
      this.#logger?.debug(`Loading model ${config.name} (${key}) from ${file} with LoRAs merged`, { key, path: file });
      const locked: LockedModel[] = [];
      try {
        // One after another, so that a LoRA that fails to load leaves no other locked.
        for (const l of loras) locked.push(await (await this.loadModel(l.config, null, userId)).lock());
        const weighted: WeightedLora[] = loras.map((l, i) => ({
          name: `${l.config.name} (${l.config.key})`,
          stateDict: loraStateDictOf(locked[i]!.model, l.config),
          weight: l.weight,
        }));
        return await loadOnnxWithLoras({
          file,
          submodelType,
          device: this.#device,
          loras: weighted,
          target,
          logger: this.#logger,
        });
      } finally {
        for (const l of locked) l.release();
      }
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
