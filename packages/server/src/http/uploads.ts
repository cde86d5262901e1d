import type { FastifyRequest } from "fastify";
import { RequestValidationError } from "./request-validation.js";

/** A file sent as `multipart/form-data`, plus the form's text fields. */
export interface UploadedFile {
  bytes: Buffer;
  filename: string;
  mimetype: string;
  fields: Record<string, string>;
}

/**
 * Reads the file part named `fieldName` (and every text part) of a multipart request into memory. The size limit is
 * the multipart plugin's (`upload_max_bytes`); going over it answers 413. A missing file answers 422 naming the field.
 */
export async function readUploadedFile(request: FastifyRequest, fieldName: string): Promise<UploadedFile> {
  if (!request.isMultipart()) {
    throw new RequestValidationError([
      { loc: ["body", fieldName], msg: "Expected a multipart/form-data upload", type: "missing" },
    ]);
  }
  let file: UploadedFile | undefined;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === "file") {
      // Every file part must be drained, or the request never ends.
      const bytes = await part.toBuffer();
      if (part.fieldname === fieldName && file === undefined) {
        file = { bytes, filename: part.filename, mimetype: part.mimetype, fields };
      }
    } else if (typeof part.value === "string") {
      fields[part.fieldname] = part.value;
    }
  }
  if (file === undefined) {
    throw new RequestValidationError([{ loc: ["body", fieldName], msg: "Field required", type: "missing" }]);
  }
  return file;
}
