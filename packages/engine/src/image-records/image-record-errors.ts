import { AtelierError } from "@atelier/core";

/** No image record has this name. */
export class ImageNotFoundError extends AtelierError {
  constructor(imageName: string) {
    super("image_not_found", `Image ${JSON.stringify(imageName)} was not found`, {
      status: 404,
      details: { image_name: imageName },
    });
  }
}

/** A listing cursor that this server did not issue, or one issued for another sort order. */
export class InvalidImageCursorError extends AtelierError {
  constructor(cursor: string, reason: string) {
    super("invalid_image_cursor", `Invalid image listing cursor ${JSON.stringify(cursor)}: ${reason}`, {
      status: 400,
      details: { field: "cursor", value: cursor, reason },
    });
  }
}

/** A value that the images table does not accept (unknown category or origin, bad size, bad paging). */
export class InvalidImageRecordError extends AtelierError {
  constructor(field: string, value: unknown, message: string) {
    super("invalid_image_record", `Invalid image ${field} ${JSON.stringify(value)}: ${message}`, {
      status: 400,
      details: { field, value },
    });
  }
}
