import type { BaseModelType, ModelFormat, ModelType, SubModelType } from "@atelier/core";
import type { Logger } from "../../logging/logger.js";
import type { CacheableModel } from "../cache/model-cache.js";
import type { ModelConfig } from "../configs/model-config.js";
import { NoModelLoaderError } from "../model-errors.js";

/** What a loader is asked to load. */
export interface ModelLoadRequest {
  readonly config: ModelConfig;
  readonly submodelType: SubModelType | null;
  /** The model's absolute path. */
  readonly path: string;
  /** Config `device` (`auto`, `cpu`, `cuda`, `cuda:N`, …). */
  readonly device: string;
  readonly logger?: Logger;
}

/** Loads one model (or submodel) from disk for the cache. */
export type ConfigModelLoader = (request: ModelLoadRequest) => Promise<CacheableModel>;

/** Which models a loader serves; `any` matches every value. */
export interface LoaderSelector {
  readonly type: ModelType | "any";
  readonly format: ModelFormat | "any";
  /** Default `any`. */
  readonly base?: BaseModelType;
}

const keyOf = (base: string, type: string, format: string) => `${base}|${type}|${format}`;

/**
 * Loaders by (type, format, base) (InvokeAI's ModelLoaderRegistry): lookup tries the model's own base, then `any`,
 * each with its own type and then `any` type.
 */
export class ModelLoaderRegistry {
  readonly #loaders = new Map<string, ConfigModelLoader>();

  /** Registers (or replaces) the loader for a selector. */
  register(selector: LoaderSelector, loader: ConfigModelLoader): void {
    this.#loaders.set(keyOf(selector.base ?? "any", selector.type, selector.format), loader);
  }

  /** The loader for a config; throws NoModelLoaderError. */
  resolve(config: Pick<ModelConfig, "type" | "format" | "base">): ConfigModelLoader {
    for (const base of [config.base, "any"]) {
      for (const type of [config.type, "any"]) {
        const loader = this.#loaders.get(keyOf(base, type, config.format));
        if (loader !== undefined) return loader;
      }
    }
    throw new NoModelLoaderError(config.type, config.format, config.base);
  }
}
