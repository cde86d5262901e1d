import type { ImageMode, RawImage } from "@atelier/core";
import { BlobNotFoundError } from "../blobs/blob-errors.js";
import { TEMP_FILE_PREFIX, validateBlobKey } from "../blobs/blob-keys.js";
import type { BlobStore } from "../blobs/blob-store.js";
import { LruCache } from "../object-store/lru-cache.js";
import { THUMBNAIL_SIZE, decodeImage, encodePng, makeThumbnail, toRawImage, type ImageInput } from "./image-codec.js";
import { ImageFileNotFoundError, ImagePathUnavailableError, InvalidImageNameError } from "./image-errors.js";
import { convertMode } from "./image-mode.js";
import { readPngTextChunks } from "./png-text-chunks.js";

/** PNG text chunk keywords InvokeAI writes and reads; kept identical so images move between the two. */
export const PNG_CHUNK_KEYS = {
  metadata: "invokeai_metadata",
  workflow: "invokeai_workflow",
  graph: "invokeai_graph",
} as const;

/** A JSON document given either already serialised or as a value to serialise. */
export type JsonDocument = string | Readonly<Record<string, unknown>>;

/** Construction options of ImageFiles. */
export interface ImageFilesOptions {
  /** Where the files go; keys are `<prefix>/[subfolder/]<name>`. */
  readonly blobs: BlobStore;
  /** Key prefix of all image files (default "images", i.e. `outputs/images` for a store rooted at outputs). */
  readonly prefix?: string;
  /** Decoded images kept in memory (InvokeAI keeps 10). */
  readonly cacheSize?: number;
  /** Default PNG compression level (config `pil_compress_level`, default 1). */
  readonly compressionLevel?: number;
  /** Longest side of thumbnails (default 256). */
  readonly thumbnailSize?: number;
}

/** Where an image lives below the images prefix (the `image_subfolder` of its record). */
export interface ImageLocation {
  readonly subfolder?: string;
}

/** Options of `ImageFiles.save`. */
export interface SaveImageFileOptions extends ImageLocation {
  readonly metadata?: JsonDocument | null;
  readonly workflow?: JsonDocument | null;
  readonly graph?: JsonDocument | null;
  readonly compressionLevel?: number;
}

/** What `ImageFiles.save` wrote. */
export interface SavedImageFile {
  readonly name: string;
  readonly subfolder: string;
  readonly width: number;
  readonly height: number;
  readonly mode: ImageMode;
  readonly imageKey: string;
  readonly thumbnailKey: string;
  /** Size of the PNG in bytes. */
  readonly bytes: number;
}

/** The InvokeAI text chunks of a stored PNG, each null when absent. */
export interface ImageChunks {
  readonly metadata: string | null;
  readonly workflow: string | null;
  readonly graph: string | null;
}

function copyImage(image: RawImage): RawImage {
  return { width: image.width, height: image.height, mode: image.mode, data: image.data.slice() };
}

function serialiseJson(value: JsonDocument | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function validateName(name: string): void {
  if (typeof name !== "string" || name.length === 0) throw new InvalidImageNameError(String(name), "the name is empty");
  if (/[/\\\0]/.test(name)) throw new InvalidImageNameError(name, "a name may not contain '/', '\\' or NUL");
  if (name.startsWith(".") || name.startsWith(TEMP_FILE_PREFIX))
    throw new InvalidImageNameError(name, "a name may not start with '.'");
}

function normaliseSubfolder(subfolder: string | undefined): string {
  const value = (subfolder ?? "").replace(/\/+$/, "");
  if (value === "") return "";
  try {
    validateBlobKey(value);
  } catch {
    throw new InvalidImageNameError(value, "the subfolder must be a relative path without '.', '..' or empty parts");
  }
  if (value.split("/")[0] === "thumbnails")
    throw new InvalidImageNameError(value, "the subfolder 'thumbnails' is reserved");
  return value;
}

/**
 * Image files and their thumbnails in a BlobStore, laid out as InvokeAI's disk service does:
 * `images/[subfolder/]<name>` and `images/thumbnails/[subfolder/]<stem>.webp`.
 * Records (the database rows) are another service's; this one only moves bytes and pixels.
 */
export class ImageFiles {
  private readonly blobs: BlobStore;
  private readonly prefix: string;
  private readonly compressionLevel: number;
  private readonly thumbnailSize: number;
  private readonly cache: LruCache<string, RawImage>;
  // Concurrent reads of one uncached image share a single decode.
  private readonly loading = new Map<string, Promise<RawImage>>();
  // Bumped by every delete, so that a decode that raced with a delete does not put the image back in the cache.
  private deletions = 0;

  constructor(options: ImageFilesOptions) {
    this.blobs = options.blobs;
    this.prefix = validateBlobKey(options.prefix ?? "images");
    this.compressionLevel = options.compressionLevel ?? 1;
    this.thumbnailSize = options.thumbnailSize ?? THUMBNAIL_SIZE;
    this.cache = new LruCache({ maxEntries: options.cacheSize ?? 10 });
  }

  /** Blob key of the image file. */
  imageKey(name: string, location: ImageLocation = {}): string {
    validateName(name);
    const subfolder = normaliseSubfolder(location.subfolder);
    return subfolder === "" ? `${this.prefix}/${name}` : `${this.prefix}/${subfolder}/${name}`;
  }

  /** Blob key of the thumbnail: same stem, `.webp`, under `thumbnails/`. */
  thumbnailKey(name: string, location: ImageLocation = {}): string {
    validateName(name);
    const subfolder = normaliseSubfolder(location.subfolder);
    const dot = name.lastIndexOf(".");
    const stem = dot > 0 ? name.slice(0, dot) : name;
    return subfolder === ""
      ? `${this.prefix}/thumbnails/${stem}.webp`
      : `${this.prefix}/thumbnails/${subfolder}/${stem}.webp`;
  }

  /**
   * Encodes the image to PNG (with the InvokeAI text chunks) and a WebP thumbnail in parallel, writing each file
   * as soon as its encode is done; if either fails, the other file is removed too. `image` may also be encoded
   * file bytes (an upload): they are decoded first, so undecodable bytes fail with InvalidImageError before
   * anything is written.
   */
  async save(
    name: string,
    image: ImageInput | Uint8Array,
    options: SaveImageFileOptions = {},
  ): Promise<SavedImageFile> {
    const subfolder = normaliseSubfolder(options.subfolder);
    const imageKey = this.imageKey(name, { subfolder });
    const thumbnailKey = this.thumbnailKey(name, { subfolder });
    const textChunks: Record<string, string> = {};
    for (const field of ["metadata", "workflow", "graph"] as const) {
      const text = serialiseJson(options[field]);
      if (text !== undefined) textChunks[PNG_CHUNK_KEYS[field]] = text;
    }
    const raw = image instanceof Uint8Array ? (await decodeImage(image)).image : await toRawImage(image);
    const compressionLevel = options.compressionLevel ?? this.compressionLevel;
    const written = new Set<string>();
    let pngBytes = 0;
    const results = await Promise.allSettled([
      encodePng(raw, { compressionLevel, textChunks }).then(async (png) => {
        pngBytes = png.length;
        await this.blobs.put(imageKey, png);
        written.add(imageKey);
      }),
      makeThumbnail(raw, this.thumbnailSize).then(async (webp) => {
        await this.blobs.put(thumbnailKey, webp);
        written.add(thumbnailKey);
      }),
    ]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure !== undefined) {
      await Promise.allSettled([...written].map((key) => this.blobs.delete(key)));
      throw failure.reason;
    }
    // The caller's RawImage may be reused or changed after save; cache our own copy (the next node usually reads it).
    this.cache.set(imageKey, raw === image ? copyImage(raw) : raw);
    return {
      name,
      subfolder,
      width: raw.width,
      height: raw.height,
      mode: raw.mode,
      imageKey,
      thumbnailKey,
      bytes: pngBytes,
    };
  }

  /** The decoded image (a copy the caller may change), from the memory cache when possible; `mode` converts. */
  async get(name: string, options: ImageLocation & { mode?: ImageMode } = {}): Promise<RawImage> {
    const key = this.imageKey(name, options);
    let image = this.cache.get(key);
    if (image === undefined) {
      let pending = this.loading.get(key);
      if (pending === undefined) {
        pending = this.load(name, key, options).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      image = await pending;
    }
    if (options.mode !== undefined && options.mode !== image.mode) return convertMode(image, options.mode);
    return copyImage(image);
  }

  /** The PNG file bytes. */
  async getBytes(name: string, location: ImageLocation = {}): Promise<Uint8Array> {
    return this.read(name, this.imageKey(name, location), location, false);
  }

  /** The WebP thumbnail bytes. */
  async getThumbnailBytes(name: string, location: ImageLocation = {}): Promise<Uint8Array> {
    return this.read(name, this.thumbnailKey(name, location), location, true);
  }

  /** Local file path of the image or its thumbnail; only for stores on the local file system. */
  getPath(name: string, thumbnail = false, location: ImageLocation = {}): string {
    const key = thumbnail ? this.thumbnailKey(name, location) : this.imageKey(name, location);
    if (this.blobs.localPath === undefined) throw new ImagePathUnavailableError(name, this.blobs.description);
    return this.blobs.localPath(key);
  }

  /** Whether the image file exists. */
  async exists(name: string, location: ImageLocation = {}): Promise<boolean> {
    return this.blobs.exists(this.imageKey(name, location));
  }

  /** Removes the image and its thumbnail; returns whether the image file existed. Missing files are not an error. */
  async delete(name: string, location: ImageLocation = {}): Promise<boolean> {
    const imageKey = this.imageKey(name, location);
    this.deletions++;
    this.cache.delete(imageKey);
    const [image] = await Promise.all([
      this.blobs.delete(imageKey),
      this.blobs.delete(this.thumbnailKey(name, location)),
    ]);
    return image;
  }

  /** The `invokeai_metadata`, `invokeai_workflow` and `invokeai_graph` chunks of the stored PNG. */
  async readChunks(name: string, location: ImageLocation = {}): Promise<ImageChunks> {
    const chunks = readPngTextChunks(await this.getBytes(name, location));
    return {
      metadata: chunks[PNG_CHUNK_KEYS.metadata] ?? null,
      workflow: chunks[PNG_CHUNK_KEYS.workflow] ?? null,
      graph: chunks[PNG_CHUNK_KEYS.graph] ?? null,
    };
  }

  /** Drops every decoded image from memory (e.g. after files were changed behind our back). */
  clearCache(): void {
    this.cache.clear();
  }

  private async load(name: string, key: string, location: ImageLocation): Promise<RawImage> {
    const deletions = this.deletions;
    const { image } = await decodeImage(await this.read(name, key, location, false));
    if (deletions === this.deletions) this.cache.set(key, image);
    return image;
  }

  private async read(name: string, key: string, location: ImageLocation, thumbnail: boolean): Promise<Uint8Array> {
    try {
      return await this.blobs.get(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError)
        throw new ImageFileNotFoundError(name, normaliseSubfolder(location.subfolder), thumbnail);
      throw error;
    }
  }
}
