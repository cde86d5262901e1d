import { randomUUID } from "node:crypto";
import type { StylePresetsInterface } from "@atelier/core";
import type { Kysely, Selectable } from "kysely";
import { FsBlobStore } from "../blobs/index.js";
import type { Database, StylePresetsTable } from "../database/database-schema.js";
import { fromDbBoolean, nowTimestamp, toDbBoolean } from "../database/database-values.js";
import { decodeImage, InvalidImageError, makeThumbnail } from "../image-files/index.js";
import { formatStylePresetCsv, parseStylePresetCsv } from "./style-preset-csv.js";
import {
  DefaultStylePresetReadOnlyError,
  InvalidStylePresetError,
  InvalidStylePresetImageError,
  StylePresetImportError,
  StylePresetNotFoundError,
  UnsupportedStylePresetFileError,
} from "./style-preset-errors.js";
import {
  parseStylePresetChanges,
  parseStylePresetInput,
  type PresetData,
  type PresetType,
  type StylePresetChanges,
  type StylePresetInput,
  type StylePresetRecordWithImage,
} from "./style-preset-types.js";

/** Options of `StylePresetService`. */
export interface StylePresetServiceOptions {
  /** The style presets folder (config `style_presets_dir`); images go to `<dir>/images/<id>.webp`, as InvokeAI's. */
  readonly stylePresetsDir: string;
}

/** Options of `StylePresetService.list`. */
export interface StylePresetListOptions {
  /** Only presets of this type. */
  readonly type?: PresetType;
}

/** A preset import file: its bytes and what the upload said it is. */
export interface StylePresetImportFile {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly filename: string;
}

type Row = Selectable<StylePresetsTable>;

// Longest side of a preset image, as InvokeAI's `make_thumbnail(image, 256)` before saving the WebP.
const PRESET_IMAGE_SIZE = 256;
const CSV_TYPES = new Set(["text/csv", "application/csv", "application/vnd.ms-excel"]);

function imageKey(id: string): string {
  return `images/${id}.webp`;
}

/** Presets as a JSON import file lists them: `[{name, positive_prompt, negative_prompt}]`, InvokeAI's second format. */
function parseJsonImport(text: string): StylePresetInput[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StylePresetImportError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(value)) throw new StylePresetImportError("a JSON import must be a list of presets");
  return value.map((item: unknown, index) => {
    const entry = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    try {
      return parseStylePresetInput({
        name: entry.name,
        preset_data: { positive_prompt: entry.positive_prompt, negative_prompt: entry.negative_prompt ?? "" },
      });
    } catch (error) {
      if (!(error instanceof InvalidStylePresetError)) throw error;
      throw new StylePresetImportError(`item ${index}: ${error.message}`, { item: index, field: error.details.field });
    }
  });
}

/**
 * InvokeAI's style preset records and image files: prompt templates stored in `style_presets`, each with an
 * optional WebP preview. Default presets are read-only; export/import use InvokeAI's CSV columns.
 */
export class StylePresetService implements StylePresetsInterface {
  readonly #db: Kysely<Database>;
  readonly #images: FsBlobStore;

  constructor(db: Kysely<Database>, options: StylePresetServiceOptions) {
    this.#db = db;
    this.#images = new FsBlobStore(options.stylePresetsDir);
  }

  /** Every preset (or those of one type), sorted by name case-insensitively as InvokeAI's `get_many`. */
  async list(options: StylePresetListOptions = {}): Promise<StylePresetRecordWithImage[]> {
    let query = this.#db.selectFrom("style_presets").selectAll();
    if (options.type !== undefined) query = query.where("type", "=", options.type);
    const rows = await query.execute();
    // Sorted here rather than by SQL LOWER(): both dialects then agree on the order of non-ASCII names.
    const collator = new Intl.Collator("en", { sensitivity: "base" });
    rows.sort((a, b) => collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return Promise.all(rows.map((row) => this.#toDto(row)));
  }

  /** The preset with this id; StylePresetNotFoundError (404) names the id when there is none. */
  async get(stylePresetId: string): Promise<StylePresetRecordWithImage> {
    return this.#toDto(await this.#row(stylePresetId));
  }

  /** Creates a preset (validated) and, when `image` is given, its preview; a bad image leaves no preset behind. */
  async create(input: StylePresetInput, image?: Uint8Array): Promise<StylePresetRecordWithImage> {
    const valid = parseStylePresetInput(input);
    const id = randomUUID();
    // Decoded before the insert so that an upload that is not an image creates nothing.
    const preview = image === undefined ? undefined : await this.#encodeImage(id, image);
    await this.#db.insertInto("style_presets").values(this.#insertValues(id, valid)).execute();
    if (preview !== undefined) await this.#images.put(imageKey(id), preview);
    return this.get(id);
  }

  /** Creates many presets in one transaction (imports); none is created when one is invalid. */
  async createMany(inputs: readonly StylePresetInput[]): Promise<StylePresetRecordWithImage[]> {
    const values = inputs.map((input) => this.#insertValues(randomUUID(), parseStylePresetInput(input)));
    if (values.length > 0) {
      await this.#db.transaction().execute((trx) => trx.insertInto("style_presets").values(values).execute());
    }
    return Promise.all(values.map((v) => this.get(v.id)));
  }

  /**
   * Changes a user preset. `image`: bytes replace the preview, `null` removes it, absent keeps it. Default presets
   * are read-only (DefaultStylePresetReadOnlyError, 403).
   */
  async update(
    stylePresetId: string,
    changes: StylePresetChanges,
    image?: Uint8Array | null,
  ): Promise<StylePresetRecordWithImage> {
    const valid = parseStylePresetChanges(changes);
    const row = await this.#row(stylePresetId);
    if (row.type === "default") throw new DefaultStylePresetReadOnlyError(stylePresetId, "updated");
    const preview = image instanceof Uint8Array ? await this.#encodeImage(stylePresetId, image) : undefined;
    await this.#db
      .updateTable("style_presets")
      .set({
        ...(valid.name === undefined ? {} : { name: valid.name }),
        ...(valid.preset_data === undefined ? {} : { preset_data: JSON.stringify(valid.preset_data) }),
        ...(valid.type === undefined ? {} : { type: valid.type }),
        ...(valid.is_public === undefined ? {} : { is_public: toDbBoolean(valid.is_public) }),
        updated_at: nowTimestamp(),
      })
      .where("id", "=", stylePresetId)
      .execute();
    if (preview !== undefined) await this.#images.put(imageKey(stylePresetId), preview);
    else if (image === null) await this.#images.delete(imageKey(stylePresetId));
    return this.get(stylePresetId);
  }

  /** Deletes a user preset and its image; default presets are read-only (403), unknown ids 404. */
  async delete(stylePresetId: string): Promise<void> {
    const row = await this.#row(stylePresetId);
    if (row.type === "default") throw new DefaultStylePresetReadOnlyError(stylePresetId, "deleted");
    await this.#db.deleteFrom("style_presets").where("id", "=", stylePresetId).execute();
    await this.#images.delete(imageKey(stylePresetId));
  }

  /** The preset's WebP preview, or null when it has none (404 when the preset does not exist). */
  async getImage(stylePresetId: string): Promise<Uint8Array | null> {
    await this.#row(stylePresetId);
    const key = imageKey(stylePresetId);
    return (await this.#images.exists(key)) ? this.#images.get(key) : null;
  }

  /** The user presets as InvokeAI's export CSV (`name,prompt,negative_prompt`). */
  async exportCsv(): Promise<string> {
    return formatStylePresetCsv(await this.list({ type: "user" }));
  }

  /** Imports user presets from a CSV (or InvokeAI's JSON list) upload, all or none; returns the created presets. */
  async importFile(file: StylePresetImportFile): Promise<StylePresetRecordWithImage[]> {
    const type = file.contentType.split(";")[0].trim().toLowerCase();
    const text = Buffer.from(file.bytes).toString("utf8");
    const lowerName = file.filename.toLowerCase();
    let inputs: StylePresetInput[];
    if (CSV_TYPES.has(type) || (type === "application/octet-stream" && lowerName.endsWith(".csv"))) {
      inputs = parseStylePresetCsv(text).map((row) => ({ ...row, type: "user" }));
    } else if (type === "application/json" || (type === "application/octet-stream" && lowerName.endsWith(".json"))) {
      inputs = parseJsonImport(text);
    } else {
      throw new UnsupportedStylePresetFileError(file.contentType, file.filename);
    }
    return this.createMany(inputs);
  }

  async #row(stylePresetId: string): Promise<Row> {
    const row = await this.#db
      .selectFrom("style_presets")
      .selectAll()
      .where("id", "=", stylePresetId)
      .executeTakeFirst();
    if (row === undefined) throw new StylePresetNotFoundError(stylePresetId);
    return row;
  }

  #insertValues(id: string, input: StylePresetInput) {
    const now = nowTimestamp();
    return {
      id,
      name: input.name,
      preset_data: JSON.stringify(input.preset_data),
      type: input.type ?? "user",
      user_id: input.user_id ?? "system",
      is_public: toDbBoolean(input.is_public ?? false),
      created_at: now,
      updated_at: now,
    };
  }

  async #encodeImage(stylePresetId: string, bytes: Uint8Array): Promise<Buffer> {
    try {
      const decoded = await decodeImage(bytes);
      return await makeThumbnail(decoded.image, PRESET_IMAGE_SIZE);
    } catch (error) {
      if (error instanceof InvalidImageError) throw new InvalidStylePresetImageError(stylePresetId, error.message);
      throw error;
    }
  }

  async #toDto(row: Row): Promise<StylePresetRecordWithImage> {
    const data = JSON.parse(row.preset_data) as PresetData;
    return {
      id: row.id,
      name: row.name,
      preset_data: { positive_prompt: data.positive_prompt, negative_prompt: data.negative_prompt },
      type: row.type as PresetType,
      user_id: row.user_id,
      is_public: fromDbBoolean(row.is_public),
      image: (await this.#images.exists(imageKey(row.id))) ? `api/v1/style_presets/i/${row.id}/image` : null,
    };
  }
}
