import { randomUUID } from "node:crypto";
import type { ImageCategory, ImageDTO, ImageMode, RawImage, ResourceOrigin } from "@atelier/core";
import type { Kysely } from "kysely";
import type { Sharp } from "sharp";
import { BoardImageRecords, NO_BOARD_ID } from "../boards/board-image-records.js";
import type { Database } from "../database/index.js";
import { decodeImage, type ImageFiles, type JsonDocument } from "../image-files/index.js";
import {
  assertImageCategory,
  assertResourceOrigin,
  ImageRecords,
  type ImageListFilters,
  type ImageListOptions,
  type ImageNamesResult,
  type ImagePage,
  type ImageRecord,
  type ImageRecordChanges,
  type ImageSortOptions,
} from "../image-records/index.js";
import type { Logger } from "../logging/index.js";
import { validateEmbeddedDocuments } from "./embedded-documents.js";
import { imageDtoFromRecord } from "./image-dto.js";
import { imageSubfolder, type ImageSubfolderStrategy } from "./image-subfolder.js";
import { InvalidUploadOptionError, UnsupportedImageFormatError } from "./image-upload-errors.js";
import { cropToVisible, resizeExactly } from "./upload-transforms.js";

/** Pixels the image service stores: an in-memory image or a sharp pipeline. */
export type StorableImage = RawImage | Sharp;

/** Options of `ImageService.create` (InvokeAI's `images.create` arguments). */
export interface CreateImageOptions {
  /** Default `internal`. */
  readonly origin?: ResourceOrigin;
  /** Default `general`. */
  readonly category?: ImageCategory;
  readonly nodeId?: string | null;
  readonly sessionId?: string | null;
  readonly boardId?: string | null;
  readonly isIntermediate?: boolean;
  /** Stored in the record and the PNG (`invokeai_metadata`). */
  readonly metadata?: JsonDocument | null;
  /** Embedded in the PNG (`invokeai_workflow`). */
  readonly workflow?: JsonDocument | null;
  /** Embedded in the PNG (`invokeai_graph`). */
  readonly graph?: JsonDocument | null;
}

/** Options of `ImageService.upload` (the upload route's query and form fields). */
export interface UploadImageOptions {
  /** Default `user`. */
  readonly category?: ImageCategory;
  readonly isIntermediate?: boolean;
  readonly boardId?: string | null;
  readonly sessionId?: string | null;
  /** Metadata to store instead of the file's own `invokeai_metadata`; must be a JSON object (else InvalidUploadOptionError). */
  readonly metadata?: JsonDocument | null;
  /** Crop to the bounding box of the visible (non-transparent) pixels. */
  readonly cropVisible?: boolean;
  /** Resize to exactly this size. */
  readonly resizeTo?: { readonly width: number; readonly height: number } | null;
}

/** Result of deleting images (InvokeAI's DeleteImagesResult). */
export interface DeleteImagesResult {
  readonly deleted_images: string[];
  /** Boards whose contents changed; "none" for images that were on no board. */
  readonly affected_boards: string[];
}

/** Result of starring images. */
export interface StarredImagesResult {
  readonly starred_images: string[];
  readonly affected_boards: string[];
}

/** Result of unstarring images. */
export interface UnstarredImagesResult {
  readonly unstarred_images: string[];
  readonly affected_boards: string[];
}

/** The PNG's embedded workflow and graph, as stored (JSON text). */
export interface ImageWorkflowAndGraph {
  readonly workflow: string | null;
  readonly graph: string | null;
}

/** Construction options of ImageService. */
export interface ImageServiceOptions {
  readonly db: Kysely<Database>;
  readonly records: ImageRecords;
  readonly files: ImageFiles;
  readonly logger: Logger;
  /** Config `image_subfolder_strategy`; default flat. */
  readonly subfolderStrategy?: ImageSubfolderStrategy;
}

/** Called with the name of each deleted image. */
export type ImageDeletedCallback = (imageName: string) => void;

function serialise(document: JsonDocument | null | undefined): string | null {
  if (document === undefined || document === null) return null;
  return typeof document === "string" ? document : JSON.stringify(document);
}

/** Names the container format from the leading bytes; undefined for PNG, JPEG and WebP (the accepted ones). */
function refusedFormat(bytes: Uint8Array): string | undefined {
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString("latin1");
  if (bytes.length === 0) return "an empty file";
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(1, 4) === "PNG") return undefined;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return undefined;
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return undefined;
  if (ascii(0, 4) === "GIF8") return "a GIF image";
  if (ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*") return "a TIFF image";
  if (ascii(0, 2) === "BM") return "a BMP image";
  return "bytes of no known image format";
}

/**
 * Images: the record, the PNG with its metadata chunks, the thumbnail and the board link, kept consistent.
 * A new image's files are written first, then its record and board link in one transaction; if the transaction
 * fails the files are deleted again, so a record never points at a missing file and no file is left without one.
 */
export class ImageService {
  readonly records: ImageRecords;
  readonly files: ImageFiles;
  readonly #db: Kysely<Database>;
  readonly #members: BoardImageRecords;
  readonly #logger: Logger;
  readonly #strategy: ImageSubfolderStrategy;
  readonly #deleted = new Set<ImageDeletedCallback>();

  constructor(options: ImageServiceOptions) {
    this.#db = options.db;
    this.records = options.records;
    this.files = options.files;
    this.#members = new BoardImageRecords(options.db);
    this.#logger = options.logger;
    this.#strategy = options.subfolderStrategy ?? "flat";
  }

  /** Stores a new image (PNG with metadata/workflow/graph chunks, WebP thumbnail, record, board link); returns its DTO. */
  async create(image: StorableImage, options: CreateImageOptions = {}): Promise<ImageDTO> {
    const origin = options.origin ?? "internal";
    const category = options.category ?? "general";
    assertResourceOrigin(origin);
    assertImageCategory(category);
    const isIntermediate = options.isIntermediate ?? false;
    const boardId = options.boardId ?? null;
    const name = `${randomUUID()}.png`;
    const createdAt = new Date();
    const subfolder = imageSubfolder(this.#strategy, { imageName: name, category, isIntermediate, createdAt });
    const metadata = serialise(options.metadata);
    const workflow = serialise(options.workflow);
    const graph = serialise(options.graph);

    // Fails fast (no file written) when the board is unknown; checked again inside the transaction below.
    if (boardId !== null) await this.#members.assertBoardExists(boardId);
    const saved = await this.files.save(name, image, { subfolder, metadata, workflow, graph });
    try {
      const record = await this.#db.transaction().execute(async (trx) => {
        const stored = await this.records.save(
          {
            image_name: name,
            image_origin: origin,
            image_category: category,
            width: saved.width,
            height: saved.height,
            session_id: options.sessionId ?? null,
            node_id: options.nodeId ?? null,
            metadata,
            is_intermediate: isIntermediate,
            has_workflow: workflow !== null || graph !== null,
            image_subfolder: subfolder,
            created_at: createdAt.toISOString(),
          },
          trx,
        );
        if (boardId === null) return stored;
        await this.#members.assertBoardExists(boardId, trx);
        await this.#members.add(boardId, [name], trx);
        return { ...stored, board_id: boardId };
      });
      return imageDtoFromRecord(record);
    } catch (error) {
      await this.files.delete(name, { subfolder }).catch((cleanup: unknown) => {
        this.#logger.error(`Could not remove the files of image ${name} after its record failed to save`, {
          err: cleanup,
        });
      });
      throw error;
    }
  }

  /**
   * Stores an uploaded PNG, JPEG or WebP file with origin `external`. Its `invokeai_*` chunks are kept when valid
   * and dropped with a warning otherwise. Anything else, or a corrupt file, is refused before anything is written.
   */
  async upload(bytes: Uint8Array, options: UploadImageOptions = {}): Promise<ImageDTO> {
    const refused = refusedFormat(bytes);
    if (refused !== undefined) throw new UnsupportedImageFormatError(refused);
    const explicitMetadata = serialise(options.metadata);
    if (explicitMetadata !== null) {
      const [problem] = validateEmbeddedDocuments({ metadata: explicitMetadata }).dropped;
      if (problem !== undefined) throw new InvalidUploadOptionError("metadata", explicitMetadata, problem.reason);
    }
    const decoded = await decodeImage(bytes);
    const chunks = decoded.textChunks;
    const documents = validateEmbeddedDocuments({
      metadata: explicitMetadata ?? chunks.invokeai_metadata,
      workflow: chunks.invokeai_workflow,
      graph: chunks.invokeai_graph,
    });
    for (const { chunk, reason } of documents.dropped) {
      this.#logger.warning(`Uploaded image: ignoring invalid ${chunk}: ${reason}`, { chunk });
    }
    let image = decoded.image;
    if (options.cropVisible ?? false) image = cropToVisible(image);
    if (options.resizeTo !== undefined && options.resizeTo !== null)
      image = await resizeExactly(image, options.resizeTo);
    return this.create(image, {
      origin: "external",
      category: options.category ?? "user",
      isIntermediate: options.isIntermediate ?? false,
      boardId: options.boardId ?? null,
      sessionId: options.sessionId ?? null,
      metadata: documents.metadata,
      workflow: documents.workflow,
      graph: documents.graph,
    });
  }

  /** The image's DTO; ImageNotFoundError for an unknown name. */
  async getDto(imageName: string): Promise<ImageDTO> {
    return imageDtoFromRecord(await this.records.get(imageName));
  }

  /** DTOs of the named images that exist, in the order asked. */
  async getDtos(imageNames: readonly string[]): Promise<ImageDTO[]> {
    return (await this.records.getMany(imageNames)).map(imageDtoFromRecord);
  }

  /** The image's record. */
  async getRecord(imageName: string): Promise<ImageRecord> {
    return this.records.get(imageName);
  }

  /** The metadata stored with the image (a JSON object), or null. */
  async getMetadata(imageName: string): Promise<Record<string, unknown> | null> {
    const { metadata } = await this.records.get(imageName);
    if (metadata === null) return null;
    try {
      const value: unknown = JSON.parse(metadata);
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : null;
    } catch {
      this.#logger.warning(`Image ${imageName} has metadata that is not JSON; reporting none`, {
        image_name: imageName,
      });
      return null;
    }
  }

  /** The workflow and graph embedded in the image's PNG (read from the file, as InvokeAI does). */
  async getWorkflow(imageName: string): Promise<ImageWorkflowAndGraph> {
    const record = await this.records.get(imageName);
    const chunks = await this.files.readChunks(imageName, { subfolder: record.image_subfolder });
    return { workflow: chunks.workflow, graph: chunks.graph };
  }

  /** The decoded pixels (a copy), converted to `mode` when given. */
  async getImage(imageName: string, mode?: ImageMode): Promise<RawImage> {
    const record = await this.records.get(imageName);
    return this.files.get(imageName, { subfolder: record.image_subfolder, ...(mode === undefined ? {} : { mode }) });
  }

  /** Local path of the PNG or its thumbnail. */
  async getPath(imageName: string, thumbnail = false): Promise<string> {
    const record = await this.records.get(imageName);
    return this.files.getPath(imageName, thumbnail, { subfolder: record.image_subfolder });
  }

  /** The PNG file's bytes. */
  async getBytes(imageName: string): Promise<Uint8Array> {
    const record = await this.records.get(imageName);
    return this.files.getBytes(imageName, { subfolder: record.image_subfolder });
  }

  /** The WebP thumbnail's bytes. */
  async getThumbnailBytes(imageName: string): Promise<Uint8Array> {
    const record = await this.records.get(imageName);
    return this.files.getThumbnailBytes(imageName, { subfolder: record.image_subfolder });
  }

  /** Changes category, session id, intermediate flag and/or star; returns the new DTO. */
  async update(imageName: string, changes: ImageRecordChanges): Promise<ImageDTO> {
    return imageDtoFromRecord(await this.records.update(imageName, changes));
  }

  /** Stars the images that exist; unknown names are skipped. */
  async star(imageNames: readonly string[]): Promise<StarredImagesResult> {
    const { names, boards } = await this.#setStarred(imageNames, true);
    return { starred_images: names, affected_boards: boards };
  }

  /** Unstars the images that exist; unknown names are skipped. */
  async unstar(imageNames: readonly string[]): Promise<UnstarredImagesResult> {
    const { names, boards } = await this.#setStarred(imageNames, false);
    return { unstarred_images: names, affected_boards: boards };
  }

  /** Deletes one image (record, board link, file, thumbnail); ImageNotFoundError for an unknown name. */
  async delete(imageName: string): Promise<DeleteImagesResult> {
    await this.records.get(imageName);
    return this.deleteMany([imageName]);
  }

  /**
   * Deletes the images that exist: their records and board links in one transaction, then their files, then tells
   * the `onDeleted` callbacks. Unknown names are skipped.
   */
  async deleteMany(imageNames: readonly string[]): Promise<DeleteImagesResult> {
    const deleted = await this.#db.transaction().execute((trx) => this.records.deleteMany(imageNames, trx));
    const boards = new Set<string>();
    for (const record of deleted) {
      boards.add(record.board_id ?? NO_BOARD_ID);
      try {
        await this.files.delete(record.image_name, { subfolder: record.image_subfolder });
      } catch (error) {
        // The record is gone; a file left behind is only wasted space, so the delete still counts.
        this.#logger.warning(`Could not remove the files of deleted image ${record.image_name}`, { err: error });
      }
    }
    for (const record of deleted) this.#notifyDeleted(record.image_name);
    return { deleted_images: deleted.map((r) => r.image_name), affected_boards: [...boards] };
  }

  /** Deletes every intermediate image; returns how many were deleted. */
  async deleteIntermediates(): Promise<number> {
    return (await this.deleteMany(await this.records.getIntermediateNames())).deleted_images.length;
  }

  /** Deletes every image that is on no board. */
  async deleteUncategorized(): Promise<DeleteImagesResult> {
    const { image_names } = await this.records.getNames({ board_id: NO_BOARD_ID, starred_first: false });
    return this.deleteMany(image_names);
  }

  /** How many intermediate images there are. */
  async getIntermediatesCount(): Promise<number> {
    return this.records.getIntermediatesCount();
  }

  /** A page of image DTOs (offset/limit or keyset cursor), with the total. */
  async list(options: ImageListOptions = {}): Promise<ImagePage<ImageDTO>> {
    const page = await this.records.list(options);
    return { ...page, items: page.items.map(imageDtoFromRecord) };
  }

  /** Every matching image name in gallery order, with starred and total counts. */
  async getNames(options: ImageListFilters & ImageSortOptions = {}): Promise<ImageNamesResult> {
    return this.records.getNames(options);
  }

  /** Registers a callback run with each deleted image's name; returns a function that removes it. */
  onDeleted(callback: ImageDeletedCallback): () => void {
    this.#deleted.add(callback);
    return () => {
      this.#deleted.delete(callback);
    };
  }

  async #setStarred(imageNames: readonly string[], starred: boolean): Promise<{ names: string[]; boards: string[] }> {
    return this.#db.transaction().execute(async (trx) => {
      await this.records.setStarred(imageNames, starred, trx);
      const records = await this.records.getMany(imageNames, trx);
      return {
        names: records.map((r) => r.image_name),
        boards: [...new Set(records.map((r) => r.board_id ?? NO_BOARD_ID))],
      };
    });
  }

  #notifyDeleted(imageName: string): void {
    for (const callback of [...this.#deleted]) {
      try {
        callback(imageName);
      } catch (error) {
        this.#logger.error(`An onDeleted callback failed for image ${imageName}`, { err: error });
      }
    }
  }
}
