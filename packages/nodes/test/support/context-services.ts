/**
 * The parts of the in-memory InvocationContext that every node-test context shares: image DTOs, the tensor store,
 * a recording logger, and models, boards, config and util services that hold nothing. Each context adds its own
 * image (and conditioning) services on top.
 */
import { cloneTensor, type ImageDTO, type ImageCategory, type InvocationContext, type Tensor } from "@atelier/core";

/** One recorded log line. */
export interface TestLogEntry {
  level: string;
  message: string;
}

/** What the shared services read and write, owned by the context that uses them. */
export interface SharedServiceState {
  /** How the context names itself in "not available" errors. */
  readonly contextName: string;
  readonly tensors: Map<string, Tensor>;
  readonly logs: TestLogEntry[];
  /** The error for a name that is not in a store. */
  missing(what: string, name: string): Error;
  /** The next number for generated names, shared with the context's own stores. */
  nextId(): number;
}

/** A stub for a service method the test context does not provide: it throws when called. */
export function notAvailable(contextName: string): (what: string) => () => never {
  return (what) => (): never => {
    throw new Error(`${what} is not available in the ${contextName}`);
  };
}

/** An ImageDTO for an image the test stores, created at the epoch; `extra` overrides or adds fields. */
export function testImageDto(
  name: string,
  width: number,
  height: number,
  extra: { image_category?: ImageCategory; board_id?: string | null } = {},
): ImageDTO {
  const epoch = new Date(0).toISOString();
  return {
    image_name: name,
    image_url: `/api/v1/images/i/${name}/full`,
    thumbnail_url: `/api/v1/images/i/${name}/thumbnail`,
    image_origin: "internal",
    image_category: "general",
    width,
    height,
    created_at: epoch,
    updated_at: epoch,
    is_intermediate: false,
    starred: false,
    has_workflow: false,
    ...extra,
  };
}

/** The tensor, model, logger, config, util and board services of an in-memory test context. */
export function sharedContextServices(
  state: SharedServiceState,
): Pick<InvocationContext, "tensors" | "models" | "logger" | "config" | "util" | "boards"> {
  const { tensors, logs, missing } = state;
  const notHere = notAvailable(state.contextName);
  const abort = new AbortController();
  return {
    tensors: {
      async save(tensor) {
        const name = `Tensor_${state.nextId()}`;
        tensors.set(name, cloneTensor(tensor));
        return name;
      },
      async load(name) {
        const t = tensors.get(name);
        if (!t) throw missing("tensor", name);
        return cloneTensor(t);
      },
    },
    models: {
      exists: async () => false,
      getConfig: notHere("models.getConfig"),
      load: notHere("models.load"),
      loadByAttrs: notHere("models.loadByAttrs"),
      loadLocalModel: notHere("models.loadLocalModel"),
      loadRemoteModel: notHere("models.loadRemoteModel"),
      downloadAndCacheModel: notHere("models.downloadAndCacheModel"),
      searchByAttrs: async () => [],
      searchByPath: async () => [],
      getAbsolutePath: notHere("models.getAbsolutePath"),
    },
    logger: {
      debug: (message) => void logs.push({ level: "debug", message }),
      info: (message) => void logs.push({ level: "info", message }),
      warning: (message) => void logs.push({ level: "warning", message }),
      error: (message) => void logs.push({ level: "error", message }),
    },
    config: { get: () => ({}) },
    util: {
      isCanceled: () => abort.signal.aborted,
      signal: abort.signal,
      signalProgress: () => undefined,
      sdStepCallback: () => undefined,
      fluxStepCallback: () => undefined,
    },
    boards: {
      create: notHere("boards.create"),
      getDto: notHere("boards.getDto"),
      getAll: async () => [],
      addImageToBoard: notHere("boards.addImageToBoard"),
      getAllImageNamesForBoard: async () => [],
    },
  };
}
