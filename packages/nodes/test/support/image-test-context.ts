/**
 * An in-memory InvocationContext for image-node tests: images and tensors live in maps, `getImage` converts modes
 * the way Pillow does, `save` records the options a node passed (category, board, metadata). Services image nodes
 * never use throw.
 */
import {
  AtelierError,
  cloneTensor,
  type ImageDTO,
  type ImageMode,
  type InvocationContext,
  type RawImage,
  type SaveImageOptions,
  type Tensor,
} from "@atelier/core";
import { convertMode } from "../../src/image-ops/mode-conversion.js";
import { notAvailable, sharedContextServices, testImageDto } from "./context-services.js";

/** A stored image with what the node asked for when saving it. */
export interface StoredImage {
  readonly image: RawImage;
  readonly dto: ImageDTO;
  readonly options: SaveImageOptions;
}

/** The context plus handles for tests. */
export interface ImageTestContext extends InvocationContext {
  readonly stored: Map<string, StoredImage>;
  readonly tensorStore: Map<string, Tensor>;
  readonly logs: Array<{ level: string; message: string }>;
  /** Puts an image into the store (as if uploaded) and returns its ImageField value. */
  putImage(image: RawImage, name?: string): { image_name: string };
  /** The pixels of a stored image. */
  image(name: string): RawImage;
  /** Stores a tensor and returns its TensorField value. */
  putTensor(tensor: Tensor): { tensor_name: string };
}

/** Raised for an image or tensor name that is not in the store (the engine raises its own not-found errors). */
export class TestStoreNotFoundError extends AtelierError {
  constructor(what: string, name: string) {
    super(`${what}_not_found`, `${what} ${JSON.stringify(name)} not found`, { status: 404, details: { name } });
  }
}

/** Builds an empty in-memory context. */
export function createImageTestContext(): ImageTestContext {
  const stored = new Map<string, StoredImage>();
  const tensorStore = new Map<string, Tensor>();
  const logs: Array<{ level: string; message: string }> = [];
  let counter = 0;
  const put = (image: RawImage, name: string, options: SaveImageOptions) => {
    if (image.data.length !== image.width * image.height * { L: 1, LA: 2, RGB: 3, RGBA: 4 }[image.mode]) {
      throw new Error(
        `saved image has a bad buffer: ${image.mode} ${image.width}x${image.height}, ${image.data.length} bytes`,
      );
    }
    const copy: RawImage = {
      width: image.width,
      height: image.height,
      mode: image.mode,
      data: new Uint8Array(image.data),
    };
    const record = {
      image: copy,
      dto: testImageDto(name, copy.width, copy.height, {
        image_category: options.imageCategory ?? "general",
        board_id: options.boardId ?? null,
      }),
      options,
    };
    stored.set(name, record);
    return record.dto;
  };
  const get = (name: string): StoredImage => {
    const s = stored.get(name);
    if (!s) throw new TestStoreNotFoundError("image", name);
    return s;
  };
  const notHere = notAvailable("image test context");
  const shared = sharedContextServices({
    contextName: "image test context",
    tensors: tensorStore,
    logs,
    missing: (what, name) => new TestStoreNotFoundError(what, name),
    nextId: () => ++counter,
  });
  return {
    stored,
    tensorStore,
    logs,
    putImage(image, name = `input_${++counter}.png`) {
      put(image, name, {});
      return { image_name: name };
    },
    image: (name) => get(name).image,
    putTensor(tensor) {
      const name = `Tensor_${++counter}`;
      tensorStore.set(name, cloneTensor(tensor));
      return { tensor_name: name };
    },
    images: {
      async save(image, options = {}) {
        if (!("data" in image)) throw new Error("the image test context only stores RawImage values");
        return put(image as RawImage, `image_${++counter}.png`, options);
      },
      async getImage(name: string, mode?: ImageMode) {
        const { image } = get(name);
        return mode ? convertMode(image, mode) : { ...image, data: new Uint8Array(image.data) };
      },
      async getDto(name) {
        return get(name).dto;
      },
      async getMetadata(name) {
        return (get(name).options.metadata as Record<string, unknown> | undefined) ?? null;
      },
      async getPath(name) {
        return `/memory/${name}`;
      },
    },
    tensors: shared.tensors,
    conditioning: { save: notHere("conditioning.save"), load: notHere("conditioning.load") },
    models: shared.models,
    logger: shared.logger,
    config: shared.config,
    util: shared.util,
    boards: shared.boards,
  };
}
