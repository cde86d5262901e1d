import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AtelierError } from "@atelier/core";
import sharp from "sharp";

/** The longest side of a stored cover image (InvokeAI keeps 256 px thumbnails of model images). */
export const MODEL_IMAGE_SIZE = 256;

/** The model has no cover image. */
export class ModelImageNotFoundError extends AtelierError {
  constructor(key: string) {
    super("model_image_not_found", `Model ${key} has no cover image`, { status: 404, details: { key } });
  }
}

/** The uploaded bytes are not an image that can be decoded. */
export class InvalidModelImageError extends AtelierError {
  constructor(key: string, reason: string) {
    super("invalid_model_image", `The cover image for model ${key} could not be read: ${reason}`, {
      status: 400,
      details: { key },
    });
  }
}

/** The URL a client fetches a model's cover image from (InvokeAI's `model_images.get_url`). */
export function modelImageUrl(key: string): string {
  return `api/v2/models/i/${encodeURIComponent(key)}/image`;
}

// Keys are uuids, but a hand-edited record could hold anything: a key becomes a file name only when it is safe.
function fileNameOf(key: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(key) || key.startsWith(".")) {
    throw new AtelierError("invalid_model_key", `Model key ${JSON.stringify(key)} cannot name an image file`, {
      status: 400,
      details: { key },
    });
  }
  return `${key}.webp`;
}

/**
 * Cover images of models (InvokeAI's ModelImageFileStorage): one WebP thumbnail per model key in a hidden folder of
 * models_dir, written under a temp name and renamed so that a reader never sees half a file.
 */
export class ModelImages {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Stores an uploaded image (PNG, JPEG, WebP…) as the model's cover: fitted into 256×256, as WebP. */
  async save(key: string, bytes: Uint8Array): Promise<void> {
    const name = fileNameOf(key);
    let webp: Buffer;
    try {
      webp = await sharp(bytes)
        .rotate()
        .resize(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE, { fit: "inside", withoutEnlargement: true })
        .webp()
        .toBuffer();
    } catch (error) {
      throw new InvalidModelImageError(key, (error as Error).message);
    }
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.${name}.${process.pid}.tmp`);
    await rm(temp, { force: true });
    await writeFile(temp, webp);
    await rename(temp, join(this.dir, name));
  }

  /** The cover image's WebP bytes; throws ModelImageNotFoundError. */
  async read(key: string): Promise<Buffer> {
    try {
      return await readFile(join(this.dir, fileNameOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ModelImageNotFoundError(key);
      throw error;
    }
  }

  /** Removes the cover image; throws ModelImageNotFoundError when there is none. */
  async delete(key: string): Promise<void> {
    if (!(await this.has(key))) throw new ModelImageNotFoundError(key);
    await rm(join(this.dir, fileNameOf(key)), { force: true });
  }

  /** Removes the cover image if there is one (when its model is deleted). */
  async deleteIfAny(key: string): Promise<void> {
    if (await this.has(key)) await rm(join(this.dir, fileNameOf(key)), { force: true });
  }

  /** Whether the model has a cover image. */
  async has(key: string): Promise<boolean> {
    return (await this.keysWithImages()).has(key);
  }

  /** Keys of every model with a cover image (one directory read, for model lists). */
  async keysWithImages(): Promise<Set<string>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return new Set(names.filter((n) => n.endsWith(".webp") && !n.startsWith(".")).map((n) => n.slice(0, -5)));
  }

  /** A config with `cover_image` set to its image URL when it has one (InvokeAI fills it on every read). */
  withCoverImage<C extends { key: string; cover_image?: string | null }>(config: C, keys: ReadonlySet<string>): C {
    return keys.has(config.key) ? { ...config, cover_image: modelImageUrl(config.key) } : config;
  }
}
