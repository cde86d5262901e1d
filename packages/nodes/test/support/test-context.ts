/**
 * A small in-memory InvocationContext for node tests: tensors, conditioning and image records live in maps, the
 * logger records messages. Replace with the engine's real context when tests need storage on disk.
 */
import {
  cloneTensor,
  type ConditioningFieldData,
  type ImageDTO,
  type InvocationContext,
  type MetadataFieldValue,
  type RawImage,
  type Tensor,
} from "@atelier/core";

/** The context plus handles tests use to seed and inspect it. */
export interface TestContext extends InvocationContext {
  readonly store: {
    readonly tensors: Map<string, Tensor>;
    readonly images: Map<string, { image: RawImage; dto: ImageDTO; metadata: MetadataFieldValue | null }>;
    readonly logs: Array<{ level: string; message: string }>;
  };
  /** Adds an image record (pixels optional) with metadata, returns its name. */
  addImage(name: string, options?: { width?: number; height?: number; metadata?: MetadataFieldValue | null }): string;
}

/** Builds a fresh in-memory context. */
export function createTestContext(): TestContext {
  const tensors = new Map<string, Tensor>();
  const conditioning = new Map<string, ConditioningFieldData>();
  const images = new Map<string, { image: RawImage; dto: ImageDTO; metadata: MetadataFieldValue | null }>();
  const logs: Array<{ level: string; message: string }> = [];
  let counter = 0;
  const missing = (what: string, name: string): Error => new Error(`${what} ${JSON.stringify(name)} not found`);
  const now = new Date(0).toISOString();
  const dtoFor = (name: string, width: number, height: number): ImageDTO => ({
    image_name: name,
    image_url: `/api/v1/images/i/${name}/full`,
    thumbnail_url: `/api/v1/images/i/${name}/thumbnail`,
    image_origin: "internal",
    image_category: "general",
    width,
    height,
    created_at: now,
    updated_at: now,
    is_intermediate: false,
    starred: false,
    has_workflow: false,
  });
  const abort = new AbortController();
  const notHere = (what: string) => (): never => {
    throw new Error(`${what} is not available in the test context`);
  };
  const ctx: TestContext = {
    store: { tensors, images, logs },
    addImage(name, options = {}) {
      const width = options.width ?? 8;
      const height = options.height ?? 8;
      images.set(name, {
        image: { width, height, mode: "RGB", data: new Uint8Array(width * height * 3) },
        dto: dtoFor(name, width, height),
        metadata: options.metadata ?? null,
      });
      return name;
    },
    images: {
      async save(image) {
        const raw = image as RawImage;
        const name = `image_${++counter}.png`;
        images.set(name, { image: raw, dto: dtoFor(name, raw.width, raw.height), metadata: null });
        return dtoFor(name, raw.width, raw.height);
      },
      async getImage(name) {
        const entry = images.get(name);
        if (!entry) throw missing("image", name);
        return entry.image;
      },
      async getDto(name) {
        const entry = images.get(name);
        if (!entry) throw missing("image", name);
        return entry.dto;
      },
      async getMetadata(name) {
        const entry = images.get(name);
        if (!entry) throw missing("image", name);
        return entry.metadata === null ? null : structuredClone(entry.metadata);
      },
      async getPath(name) {
        return `/tmp/test-images/${name}`;
      },
    },
    tensors: {
      async save(tensor) {
        const name = `Tensor_${++counter}`;
        tensors.set(name, cloneTensor(tensor));
        return name;
      },
      async load(name) {
        const t = tensors.get(name);
        if (!t) throw missing("tensor", name);
        return cloneTensor(t);
      },
    },
    conditioning: {
      async save(data) {
        const name = `ConditioningFieldData_${++counter}`;
        conditioning.set(name, data);
        return name;
      },
      async load(name) {
        const c = conditioning.get(name);
        if (!c) throw missing("conditioning", name);
        return c;
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
  return ctx;
}
