import { AtelierError } from "@atelier/core";

/** An upload that is not a PNG, JPEG or WebP file (judged by its leading bytes). */
export class UnsupportedImageFormatError extends AtelierError {
  constructor(detected: string) {
    super("unsupported_image_format", `Upload refused: expected a PNG, JPEG or WebP image, got ${detected}`, {
      status: 400,
      details: { field: "file", detected, allowed: ["png", "jpeg", "webp"] },
    });
  }
}

/** An upload option with a value that cannot be applied (e.g. a resize too large). */
export class InvalidUploadOptionError extends AtelierError {
  constructor(field: string, value: unknown, message: string) {
    super("invalid_upload_option", `Upload option ${field} ${JSON.stringify(value)}: ${message}`, {
      status: 400,
      details: { field, value },
    });
  }
}
