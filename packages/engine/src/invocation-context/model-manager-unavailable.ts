import { AtelierError, type ModelsInterface } from "@atelier/core";

/** `context.models` was used before a model manager is part of the engine. */
export class ModelManagerUnavailableError extends AtelierError {
  constructor(method: string, nodeType?: string) {
    const where = nodeType === undefined ? "" : ` (called by node type ${nodeType})`;
    super(
      "model_manager_unavailable",
      `The model manager is not available in this build: context.models.${method} cannot run${where}`,
      {
        status: 503,
        details: { method, ...(nodeType === undefined ? {} : { node_type: nodeType }) },
      },
    );
  }
}

/** A ModelsInterface whose every method rejects with ModelManagerUnavailableError (until the model manager exists). */
export function unavailableModels(nodeType?: string): ModelsInterface {
  const fail = (method: string) => () => Promise.reject(new ModelManagerUnavailableError(method, nodeType));
  return {
    exists: fail("exists"),
    getConfig: fail("getConfig"),
    load: fail("load"),
    loadByAttrs: fail("loadByAttrs"),
    loadLocalModel: fail("loadLocalModel"),
    loadRemoteModel: fail("loadRemoteModel"),
    downloadAndCacheModel: fail("downloadAndCacheModel"),
    searchByAttrs: fail("searchByAttrs"),
    searchByPath: fail("searchByPath"),
    getAbsolutePath: () => {
      throw new ModelManagerUnavailableError("getAbsolutePath", nodeType);
    },
  };
}
