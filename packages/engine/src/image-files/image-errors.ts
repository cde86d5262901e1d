import { AtelierError } from "@atelier/core";

/** Bytes that are not a decodable image (corrupt, truncated, unknown format), or a PNG with a broken structure. */
export class InvalidImageError extends AtelierError {
  constructor(reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("invalid_image", `Invalid image: ${reason}`, { status: 400, details: { reason, ...details }, cause });
  }
}

/** A PNG text chunk that cannot be written (bad keyword, NUL in the text). */
export class PngTextChunkError extends AtelierError {
  constructor(keyword: string, reason: string) {
    super("invalid_png_text_chunk", `Cannot write PNG text chunk ${JSON.stringify(keyword)}: ${reason}`, {
      status: 400,
      details: { keyword, reason },
    });
  }
}

/** An image name or subfolder that cannot be used as a file name. */
export class InvalidImageNameError extends AtelierError {
  constructor(name: string, reason: string) {
    super("invalid_image_name", `Invalid image name ${JSON.stringify(name)}: ${reason}`, {
      status: 400,
      details: { image_name: name, reason },
    });
  }
}

/** No image file (or thumbnail) is stored under the name. */
export class ImageFileNotFoundError extends AtelierError {
  constructor(name: string, subfolder: string, thumbnail: boolean) {
    const what = thumbnail ? "thumbnail of image" : "image file";
    const where = subfolder === "" ? "" : ` in subfolder ${JSON.stringify(subfolder)}`;
    super("image_not_found", `No ${what} ${JSON.stringify(name)}${where}`, {
      status: 404,
      details: { image_name: name, image_subfolder: subfolder, thumbnail },
    });
  }
}

/** The blob store has no local files, so a file path cannot be given. */
export class ImagePathUnavailableError extends AtelierError {
  constructor(name: string, store: string) {
    super("image_path_unavailable", `Image ${JSON.stringify(name)} has no local file path: it is stored in ${store}`, {
      status: 409,
      details: { image_name: name, store },
    });
  }
}
