import { AtelierError } from "@atelier/core";

/** No style preset has this id. */
export class StylePresetNotFoundError extends AtelierError {
  constructor(stylePresetId: string) {
    super("style_preset_not_found", `Style preset "${stylePresetId}" was not found`, {
      status: 404,
      details: { style_preset_id: stylePresetId },
    });
  }
}

/** Style preset input does not have InvokeAI's shape; `field` says where (e.g. `preset_data.positive_prompt`). */
export class InvalidStylePresetError extends AtelierError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super("invalid_style_preset", `Invalid style preset data at ${field || "(root)"}: ${message}`, {
      status: 422,
      details: { field, ...details },
    });
  }
}

/** Default (shipped) presets cannot be changed or deleted through the API. */
export class DefaultStylePresetReadOnlyError extends AtelierError {
  constructor(stylePresetId: string, action: "updated" | "deleted") {
    super(
      "default_style_preset_read_only",
      `Style preset "${stylePresetId}" is a default preset and cannot be ${action}`,
      {
        status: 403,
        details: { style_preset_id: stylePresetId },
      },
    );
  }
}

/** A preset image upload is not a decodable image. */
export class InvalidStylePresetImageError extends AtelierError {
  constructor(stylePresetId: string, reason: string) {
    super("invalid_style_preset_image", `Image for style preset "${stylePresetId}": ${reason}`, {
      status: 415,
      details: { style_preset_id: stylePresetId },
    });
  }
}

/** A preset import file cannot be read: bad CSV/JSON, a missing column, or an empty name; `row` is 1-based data rows. */
export class StylePresetImportError extends AtelierError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super("invalid_style_preset_import", `Style preset import: ${reason}`, { status: 400, details });
  }
}

/** A preset import file is neither CSV nor JSON. */
export class UnsupportedStylePresetFileError extends AtelierError {
  constructor(contentType: string, filename: string) {
    super(
      "unsupported_style_preset_file",
      `Style preset import: file "${filename}" has type "${contentType}"; expected a CSV (text/csv) or JSON file`,
      { status: 415, details: { content_type: contentType, filename } },
    );
  }
}
