import type {
  BaseModelType,
  LoadedModel,
  LoadedModelWithoutConfig,
  ModelConfigRecord,
  ModelIdentifierFieldValue,
  ModelLoader,
  ModelsInterface,
  ModelSearchAttrs,
  ModelType,
  SubModelType,
} from "@atelier/core";
import { ModelLoadError, AmbiguousModelError, UnknownModelError } from "../model-errors.js";
import type { ModelManager } from "../model-manager.js";

/** What a node's `context.models` is bound to. */
export interface ContextModelsBinding {
  /** `util.signalProgress` of the node (InvokeAI reports "Loading model …" as progress). */
  signalProgress?: (message: string) => void;
  /** Put on `model_load_*` events. */
  userId?: string;
}

function keyOf(identifier: string | ModelIdentifierFieldValue): string {
  return typeof identifier === "string" ? identifier : identifier.key;
}

/**
 * `context.models` over the model manager (InvokeAI's ModelsInterface): records by key or identifier, loads
 * through the cache with progress messages, local and remote models outside the records.
 */
export function createContextModels(manager: ModelManager, binding: ContextModelsBinding = {}): ModelsInterface {
  const progress = (message: string) => binding.signalProgress?.(message);
  const userId = binding.userId ?? "system";

  const loadConfig = async (config: ModelConfigRecord, submodelType: SubModelType | null): Promise<LoadedModel> => {
    if (config.format === "external_api" || config.base === "external") {
      throw new ModelLoadError(
        `model ${config.name} (${config.key})`,
        "it runs on an external API and has no weights to load",
        { key: config.key },
      );
    }
    progress(`Loading model ${config.name}${submodelType === null ? "" : ` (${submodelType})`}`);
    return manager.load.loadModel(config, submodelType, userId);
  };

  const models: ModelsInterface = {
    exists: (identifier) => manager.records.exists(keyOf(identifier)),
    getConfig: (identifier) => manager.records.get(keyOf(identifier)),
    async load(identifier, submodelType) {
      const config = await manager.records.get(keyOf(identifier));
      const fromIdentifier = typeof identifier === "string" ? null : (identifier.submodel_type ?? null);
      return loadConfig(config, submodelType ?? fromIdentifier);
    },
    async loadByAttrs(name: string, base: BaseModelType, type: ModelType, submodelType?: SubModelType | null) {
      const found = await manager.records.search({ name, base, type });
      if (found.length === 0)
        throw new UnknownModelError(`no model named ${JSON.stringify(name)} with base ${base} and type ${type}`, {
          name,
          base,
          type,
        });
      if (found.length > 1)
        throw new AmbiguousModelError(
          name,
          base,
          type,
          found.map((c) => c.key),
        );
      return loadConfig(found[0], submodelType ?? null);
    },
    async loadLocalModel(path: string, loader?: ModelLoader): Promise<LoadedModelWithoutConfig> {
      progress(`Loading model ${path}`);
      return manager.load.loadLocalModel(path, loader);
    },
    async loadRemoteModel(source: string, loader?: ModelLoader): Promise<LoadedModelWithoutConfig> {
      const path = await models.downloadAndCacheModel(source);
      return models.loadLocalModel(path, loader);
    },
    async downloadAndCacheModel(source: string) {
      progress(`Downloading model ${source}`);
      return manager.install.downloadAndCacheModel(source);
    },
    async loadWithLoras(identifier, loras, target) {
      const config = await manager.records.get(keyOf(identifier));
      const submodelType = typeof identifier === "string" ? null : (identifier.submodel_type ?? null);
      if (loras.length === 0) return loadConfig(config, submodelType);
      const seen = new Set<string>();
      const resolved = [];
      for (const lora of loras) {
        if (seen.has(lora.lora.key))
          throw new ModelLoadError(
            `LoRA ${lora.lora.name} (${lora.lora.key})`,
            `it is given twice for ${target} of model ${config.name}`,
            { key: lora.lora.key },
          );
        seen.add(lora.lora.key);
        resolved.push({ config: await manager.records.get(lora.lora.key), weight: lora.weight });
      }
      progress(
        `Loading model ${config.name}${submodelType === null ? "" : ` (${submodelType})`} with ${resolved.map((l) => l.config.name).join(", ")}`,
      );
      return manager.load.loadModelWithLoras(config, submodelType, resolved, target, userId);
    },
    searchByAttrs: (attrs: ModelSearchAttrs) => manager.records.search(attrs),
    searchByPath: (path: string) => manager.records.searchByPath(path),
    getAbsolutePath: (configOrPath: ModelConfigRecord | string) =>
      manager.records.toAbsolutePath(typeof configOrPath === "string" ? configOrPath : configOrPath.path),
  };
  return models;
}
