/**
 * A small in-memory InvocationContext for node tests: tensors, conditioning and image records live in maps, the
 * logger records messages. Replace with the engine's real context when tests need storage on disk.
 */
import {
  type ConditioningFieldData,
  type ImageDTO,
  type InvocationContext,
  type MetadataFieldValue,
  type RawImage,
  type Tensor,
} from "@atelier/core";
import { sharedContextServices, testImageDto } from "./context-services.js";

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
  const shared = sharedContextServices({
    contextName: "test context",
    tensors,
    logs,
    missing,
    nextId: () => ++counter,
  });
  const ctx: TestContext = {
    store: { tensors, images, logs },
    addImage(name, options = {}) {
      const width = options.width ?? 8;
      const height = options.height ?? 8;
      images.set(name, {
        image: { width, height, mode: "RGB", data: new Uint8Array(width * height * 3) },
        dto: testImageDto(name, width, height),
        metadata: options.metadata ?? null,
      });
      return name;
    },
    images: {
      async save(image) {
        const raw = image as RawImage;
        const name = `image_${++counter}.png`;
        images.set(name, { image: raw, dto: testImageDto(name, raw.width, raw.height), metadata: null });
        return testImageDto(name, raw.width, raw.height);
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
    tensors: shared.tensors,
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
    models: shared.models,
    logger: shared.logger,
    config: shared.config,
    util: shared.util,
    boards: shared.boards,
  };
  return ctx;
}
