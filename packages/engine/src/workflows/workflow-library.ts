import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AtelierError } from "@atelier/core";
import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from "kysely";
import type { Database, WorkflowLibraryTable } from "../database/database-schema.js";
import { fromDbBoolean, nowTimestamp, toDbBoolean } from "../database/database-values.js";
import { InvalidWorkflowError, WorkflowNotFoundError } from "./workflow-errors.js";
import { parseWorkflow, parseWorkflowWithId } from "./workflow-document.js";
import type {
  PaginatedResults,
  SortDirection,
  Workflow,
  WorkflowCategory,
  WorkflowOrderBy,
  WorkflowRecordDTO,
  WorkflowRecordListItemDTO,
  WorkflowRecordWithThumbnailDTO,
} from "./workflow-types.js";

/** Filters shared by listing and counting. */
export interface WorkflowFilters {
  categories?: readonly WorkflowCategory[] | null;
  has_been_opened?: boolean | null;
  is_public?: boolean | null;
}

/** Options of `WorkflowLibrary.list` (the query parameters of `GET /api/v1/workflows/`). */
export interface WorkflowListOptions extends WorkflowFilters {
  page?: number;
  /** Null or absent: everything on one page. */
  per_page?: number | null;
  order_by?: WorkflowOrderBy;
  direction?: SortDirection;
  tags?: readonly string[] | null;
  /** Matches name and description, case-insensitively. */
  query?: string | null;
}

/** A default (shipped) workflow cannot be created, changed or deleted through the library API. */
export class DefaultWorkflowReadOnlyError extends AtelierError {
  constructor(action: string, workflowId?: string) {
    super(
      "default_workflow_read_only",
      `Default workflows cannot be ${action}${workflowId ? ` (workflow "${workflowId}")` : ""}`,
      {
        status: 409,
        details: workflowId === undefined ? {} : { workflow_id: workflowId },
      },
    );
  }
}

/** A workflow thumbnail upload is not an image this library accepts. */
export class InvalidWorkflowThumbnailError extends AtelierError {
  constructor(workflowId: string, reason: string) {
    super("invalid_workflow_thumbnail", `Thumbnail for workflow "${workflowId}": ${reason}`, {
      status: 415,
      details: { workflow_id: workflowId },
    });
  }
}

type Row = Selectable<WorkflowLibraryTable>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Splits the comma-separated `tags` string of a workflow into trimmed, non-empty tags. */
export function splitWorkflowTags(tags: string): string[] {
  return tags
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

const THUMBNAIL_SIGNATURES: { type: string; ext: string; test: (b: Uint8Array) => boolean }[] = [
  { type: "image/png", ext: "png", test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: "image/jpeg", ext: "jpg", test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    type: "image/webp",
    ext: "webp",
    test: (b) => String.fromCharCode(...b.slice(0, 4)) === "RIFF" && String.fromCharCode(...b.slice(8, 12)) === "WEBP",
  },
];

/**
 * The workflow library: saved workflows (InvokeAI's `workflow_library`) with paging, tags, categories and
 * `opened_at`. The workflow JSON is the source of truth; name, category, description and tags are copied into
 * columns on every write so that lists filter and sort in SQL.
 */
export class WorkflowLibrary {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { thumbnailsDir?: string } = {},
  ) {}

  /** Saves a new user workflow and returns its record; the id is generated here. */
  async create(workflowJson: unknown): Promise<WorkflowRecordDTO> {
    const parsed = parseWorkflow(workflowJson);
    if (parsed.meta.category === "default") throw new DefaultWorkflowReadOnlyError("created");
    const workflowId = randomUUID().replace(/-/g, "");
    const workflow: Workflow = { ...parsed, id: workflowId };
    const now = nowTimestamp();
    await this.db
      .insertInto("workflow_library")
      .values({
        workflow_id: workflowId,
        workflow: JSON.stringify(workflow),
        name: workflow.name,
        category: workflow.meta.category,
        description: workflow.description,
        tags: workflow.tags,
        created_at: now,
        updated_at: now,
        opened_at: null,
      })
      .execute();
    return this.get(workflowId);
  }

  /**
   * Installs the workflows the application ships (category `default`, fixed ids): new ones are added, changed
   * ones replaced, in one transaction, keeping `opened_at`. Each must parse as a workflow with an id. Returns how
   * many rows were written.
   */
  async installDefaults(workflowsJson: readonly unknown[]): Promise<number> {
    const workflows = workflowsJson.map((json, index) => {
      const workflow = parseWorkflowWithId(json);
      if (workflow.meta.category !== "default") {
        throw new InvalidWorkflowError(
          `defaults[${index}].meta.category`,
          "a shipped workflow must have category default",
          workflow.meta.category,
        );
      }
      return workflow;
    });
    const now = nowTimestamp();
    return this.db.transaction().execute(async (trx) => {
      let written = 0;
      for (const workflow of workflows) {
        const text = JSON.stringify(workflow);
        const existing = await trx
          .selectFrom("workflow_library")
          .select(["workflow", "category"])
          .where("workflow_id", "=", workflow.id)
          .executeTakeFirst();
        if (existing !== undefined && existing.category !== "default") {
          throw new InvalidWorkflowError("id", `a user workflow already has the id of a shipped one`, workflow.id);
        }
        if (existing?.workflow === text) continue;
        const columns = {
          workflow: text,
          name: workflow.name,
          category: "default",
          description: workflow.description,
          tags: workflow.tags,
          updated_at: now,
        };
        if (existing === undefined) {
          await trx
            .insertInto("workflow_library")
            .values({ workflow_id: workflow.id, ...columns, created_at: now, opened_at: null })
            .execute();
        } else {
          await trx.updateTable("workflow_library").set(columns).where("workflow_id", "=", workflow.id).execute();
        }
        written++;
      }
      return written;
    });
  }

  /** Returns one workflow record, or throws `WorkflowNotFoundError`. */
  async get(workflowId: string): Promise<WorkflowRecordWithThumbnailDTO> {
    const row = await this.db
      .selectFrom("workflow_library")
      .selectAll()
      .where("workflow_id", "=", workflowId)
      .executeTakeFirst();
    if (row === undefined) throw new WorkflowNotFoundError(workflowId);
    return this.toRecord(row);
  }

  /** Replaces a stored user workflow (its `id` names it); default workflows are read-only. */
  async update(workflowJson: unknown): Promise<WorkflowRecordDTO> {
    const workflow = parseWorkflowWithId(workflowJson);
    const existing = await this.get(workflow.id);
    if (existing.workflow.meta.category === "default") throw new DefaultWorkflowReadOnlyError("updated", workflow.id);
    if (workflow.meta.category === "default") {
      throw new InvalidWorkflowError(
        "workflow.meta.category",
        "a user workflow cannot be turned into a default one",
        "default",
      );
    }
    await this.db
      .updateTable("workflow_library")
      .set({
        workflow: JSON.stringify(workflow),
        name: workflow.name,
        category: workflow.meta.category,
        description: workflow.description,
        tags: workflow.tags,
        updated_at: nowTimestamp(),
      })
      .where("workflow_id", "=", workflow.id)
      .execute();
    return this.get(workflow.id);
  }

  /** Deletes a user workflow and its thumbnail. */
  async delete(workflowId: string): Promise<void> {
    const existing = await this.get(workflowId);
    if (existing.workflow.meta.category === "default") throw new DefaultWorkflowReadOnlyError("deleted", workflowId);
    await this.db.deleteFrom("workflow_library").where("workflow_id", "=", workflowId).execute();
    await this.removeThumbnailFiles(workflowId);
  }

  /** Records that the workflow was opened now (the "recent" list orders by this). */
  async updateOpenedAt(workflowId: string): Promise<void> {
    const result = await this.db
      .updateTable("workflow_library")
      .set({ opened_at: nowTimestamp() })
      .where("workflow_id", "=", workflowId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new WorkflowNotFoundError(workflowId);
  }

  /** Shares or unshares a workflow. */
  async updateIsPublic(workflowId: string, isPublic: boolean): Promise<WorkflowRecordDTO> {
    const result = await this.db
      .updateTable("workflow_library")
      .set({ is_public: toDbBoolean(isPublic), updated_at: nowTimestamp() })
      .where("workflow_id", "=", workflowId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new WorkflowNotFoundError(workflowId);
    return this.get(workflowId);
  }

  /** One page of workflows (page numbers start at 0; `per_page` null lists everything). */
  async list(options: WorkflowListOptions = {}): Promise<PaginatedResults<WorkflowRecordListItemDTO>> {
    const page = Math.max(0, Math.trunc(options.page ?? 0));
    const orderBy = options.order_by ?? "name";
    const direction = options.direction === "DESC" ? "desc" : "asc";
    let query = this.filtered(options);
    if (options.tags && options.tags.length > 0) {
      const tags = options.tags;
      query = query.where((eb) =>
        eb.or(tags.map((tag) => eb(sql`lower(tags)`, "like", `%${escapeLike(tag.toLowerCase())}%`))),
      );
    }
    if (options.query) {
      const pattern = `%${escapeLike(options.query.toLowerCase())}%`;
      query = query.where((eb) =>
        eb.or([eb(sql`lower(name)`, "like", pattern), eb(sql`lower(description)`, "like", pattern)]),
      );
    }
    const { total } = await query
      .select((eb) => eb.fn.countAll<number | string>().as("total"))
      .executeTakeFirstOrThrow();
    const count = Number(total);
    let rows = query.selectAll().orderBy(orderBy, direction).orderBy("workflow_id", direction);
    const perPage = options.per_page ?? null;
    if (perPage !== null) {
      const size = Math.max(1, Math.trunc(perPage));
      rows = rows.limit(size).offset(page * size);
    }
    const items = (await rows.execute()).map((row) => this.toListItem(row));
    const effectivePerPage = perPage === null ? count : Math.max(1, Math.trunc(perPage));
    return {
      page: perPage === null ? 0 : page,
      pages: effectivePerPage === 0 ? 0 : Math.ceil(count / effectivePerPage),
      per_page: effectivePerPage,
      total: count,
      items,
    };
  }

  /** Every distinct tag used by the matching workflows, sorted. */
  async getAllTags(filters: WorkflowFilters = {}): Promise<string[]> {
    const rows = await this.filtered(filters).select("tags").execute();
    const tags = new Set<string>();
    for (const row of rows) for (const tag of splitWorkflowTags(row.tags)) tags.add(tag);
    return [...tags].sort((a, b) => a.localeCompare(b));
  }

  /** For each asked tag, how many matching workflows carry it (exact tag match, case-insensitive). */
  async countsByTag(tags: readonly string[], filters: WorkflowFilters = {}): Promise<Record<string, number>> {
    const rows = await this.filtered(filters).select("tags").execute();
    const counts: Record<string, number> = Object.fromEntries(tags.map((t) => [t, 0]));
    const wanted = new Map(tags.map((t) => [t.toLowerCase(), t]));
    for (const row of rows) {
      const seen = new Set<string>();
      for (const tag of splitWorkflowTags(row.tags)) {
        const key = wanted.get(tag.toLowerCase());
        if (key !== undefined && !seen.has(key)) {
          counts[key] += 1;
          seen.add(key);
        }
      }
    }
    return counts;
  }

  /** For each asked category, how many matching workflows are in it. */
  async countsByCategory(
    categories: readonly WorkflowCategory[],
    filters: Omit<WorkflowFilters, "categories"> = {},
  ): Promise<Record<string, number>> {
    const rows = await this.filtered({ ...filters, categories })
      .select(["category", (eb) => eb.fn.countAll<number | string>().as("n")])
      .groupBy("category")
      .execute();
    const counts: Record<string, number> = Object.fromEntries(categories.map((c) => [c, 0]));
    for (const row of rows) counts[row.category] = Number(row.n);
    return counts;
  }

  /** Stores a thumbnail (PNG, JPEG or WebP bytes) for a workflow, replacing any previous one. */
  async setThumbnail(workflowId: string, bytes: Uint8Array): Promise<WorkflowRecordWithThumbnailDTO> {
    await this.get(workflowId);
    const dir = this.thumbnailsDir();
    const kind = THUMBNAIL_SIGNATURES.find((s) => s.test(bytes));
    if (kind === undefined) throw new InvalidWorkflowThumbnailError(workflowId, "must be a PNG, JPEG or WebP image");
    await mkdir(dir, { recursive: true });
    await this.removeThumbnailFiles(workflowId);
    const target = join(dir, `${workflowId}.${kind.ext}`);
    const temp = `${target}.${randomUUID()}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
    return this.get(workflowId);
  }

  /** The stored thumbnail of a workflow with its media type, or null when it has none. */
  async getThumbnail(workflowId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    await this.get(workflowId);
    return this.readThumbnail(workflowId);
  }

  /** Removes a workflow's thumbnail. */
  async deleteThumbnail(workflowId: string): Promise<WorkflowRecordWithThumbnailDTO> {
    await this.get(workflowId);
    await this.removeThumbnailFiles(workflowId);
    return this.get(workflowId);
  }

  private thumbnailsDir(): string {
    if (this.options.thumbnailsDir === undefined) {
      throw new AtelierError(
        "workflow_thumbnails_unavailable",
        "Workflow thumbnails are not configured (no thumbnails folder)",
        {
          status: 501,
        },
      );
    }
    return this.options.thumbnailsDir;
  }

  private async readThumbnail(workflowId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    if (this.options.thumbnailsDir === undefined) return null;
    for (const kind of THUMBNAIL_SIGNATURES) {
      try {
        const bytes = await readFile(join(this.options.thumbnailsDir, `${workflowId}.${kind.ext}`));
        return { bytes, contentType: kind.type };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return null;
  }

  private hasThumbnail(workflowId: string): boolean {
    const dir = this.options.thumbnailsDir;
    return dir !== undefined && THUMBNAIL_SIGNATURES.some((kind) => existsSync(join(dir, `${workflowId}.${kind.ext}`)));
  }

  private async removeThumbnailFiles(workflowId: string): Promise<void> {
    if (this.options.thumbnailsDir === undefined) return;
    const dir = this.options.thumbnailsDir;
    await Promise.all(THUMBNAIL_SIGNATURES.map((kind) => rm(join(dir, `${workflowId}.${kind.ext}`), { force: true })));
  }

  private filtered(filters: WorkflowFilters): SelectQueryBuilder<Database, "workflow_library", object> {
    let query = this.db.selectFrom("workflow_library");
    if (filters.categories && filters.categories.length > 0)
      query = query.where("category", "in", [...filters.categories]);
    if (filters.has_been_opened === true) query = query.where("opened_at", "is not", null);
    if (filters.has_been_opened === false) query = query.where("opened_at", "is", null);
    if (typeof filters.is_public === "boolean") query = query.where("is_public", "=", toDbBoolean(filters.is_public));
    return query;
  }

  private toRecord(row: Row): WorkflowRecordWithThumbnailDTO {
    const workflow = JSON.parse(row.workflow) as Workflow;
    return {
      workflow_id: row.workflow_id,
      name: row.name,
      created_at: row.created_at,
      updated_at: row.updated_at,
      opened_at: row.opened_at,
      user_id: row.user_id,
      is_public: fromDbBoolean(row.is_public),
      workflow,
      thumbnail_url: this.hasThumbnail(row.workflow_id) ? `api/v1/workflows/i/${row.workflow_id}/thumbnail` : null,
    };
  }

  private toListItem(row: Row): WorkflowRecordListItemDTO {
    const id = row.workflow_id;
    return {
      workflow_id: id,
      name: row.name,
      created_at: row.created_at,
      updated_at: row.updated_at,
      opened_at: row.opened_at,
      user_id: row.user_id,
      is_public: fromDbBoolean(row.is_public),
      description: row.description,
      category: row.category as WorkflowCategory,
      tags: row.tags,
      thumbnail_url: this.hasThumbnail(id) ? `api/v1/workflows/i/${id}/thumbnail` : null,
    };
  }
}
