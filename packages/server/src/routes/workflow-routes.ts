import type { WorkflowLibrary } from "@atelier/engine";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { readUploadedFile } from "../http/uploads.js";
import { SQLiteDirection } from "../schemas/api-registry.js";
import {
  Body_create_workflow,
  Body_set_workflow_thumbnail,
  Body_update_workflow,
  Body_update_workflow_is_public,
  PaginatedWorkflows,
  WorkflowCategory,
  WorkflowRecordDTO,
  WorkflowRecordOrderBy,
  WorkflowRecordWithThumbnailDTO,
} from "../schemas/workflow-schemas.js";

const WorkflowIdParams = z.object({ workflow_id: z.string().describe("The workflow to get") });
const publicFilter = z.boolean().nullable().optional().describe("Filter by public/shared status");
const openedFilter = z.boolean().nullable().optional().describe("Whether to include/exclude recent workflows");
const categoriesFilter = z.array(WorkflowCategory).nullable().optional().describe("The categories to include");

/** `/api/v1/workflows/*`: the workflow library. */
export function workflowRoutes(deps: { workflows: WorkflowLibrary }): AnyRouteSpec[] {
  const { workflows } = deps;
  const tag = "workflows";
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/workflows/",
      operationId: "create_workflow",
      tag,
      summary: "Create Workflow",
      description: "Creates a workflow",
      body: Body_create_workflow,
      response: { schema: WorkflowRecordDTO },
      handler: ({ body }) => workflows.create(body.workflow),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/",
      operationId: "list_workflows",
      tag,
      summary: "List Workflows",
      description: "Gets a page of workflows",
      query: z.object({
        page: z.number().int().min(0).default(0).describe("The page to get"),
        per_page: z.number().int().min(1).nullable().optional().describe("The number of workflows per page"),
        order_by: WorkflowRecordOrderBy.default("name").describe("The attribute to order by"),
        direction: SQLiteDirection.default("ASC").describe("The direction to order by"),
        categories: z.array(WorkflowCategory).nullable().optional().describe("The categories of workflow to get"),
        tags: z.array(z.string()).nullable().optional().describe("The tags of workflow to get"),
        query: z.string().nullable().optional().describe("The text to query by (matches name and description)"),
        has_been_opened: openedFilter,
        is_public: publicFilter,
      }),
      response: { schema: PaginatedWorkflows },
      handler: ({ query }) => workflows.list(query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/i/{workflow_id}",
      operationId: "get_workflow",
      tag,
      summary: "Get Workflow",
      description: "Gets a workflow",
      params: WorkflowIdParams,
      response: { schema: WorkflowRecordWithThumbnailDTO },
      handler: ({ params }) => workflows.get(params.workflow_id),
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/workflows/i/{workflow_id}",
      operationId: "update_workflow",
      tag,
      summary: "Update Workflow",
      description: "Updates a workflow (the workflow's `id` must match the path)",
      params: WorkflowIdParams,
      body: Body_update_workflow,
      response: { schema: WorkflowRecordDTO },
      handler: ({ params, body }) => workflows.update({ ...body.workflow, id: params.workflow_id }),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/workflows/i/{workflow_id}",
      operationId: "delete_workflow",
      tag,
      summary: "Delete Workflow",
      description: "Deletes a workflow",
      params: WorkflowIdParams,
      response: { schema: null },
      handler: async ({ params }) => {
        await workflows.delete(params.workflow_id);
        return null;
      },
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/workflows/i/{workflow_id}/thumbnail",
      operationId: "set_workflow_thumbnail",
      tag,
      summary: "Set Workflow Thumbnail",
      description: "Sets a workflow's thumbnail image (PNG, JPEG or WebP)",
      params: WorkflowIdParams,
      body: Body_set_workflow_thumbnail,
      bodyContentType: "multipart/form-data",
      response: { schema: WorkflowRecordDTO },
      handler: async ({ params, request }) => {
        const file = await readUploadedFile(request, "image");
        return workflows.setThumbnail(params.workflow_id, file.bytes);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/workflows/i/{workflow_id}/thumbnail",
      operationId: "delete_workflow_thumbnail",
      tag,
      summary: "Delete Workflow Thumbnail",
      description: "Removes a workflow's thumbnail",
      params: WorkflowIdParams,
      response: { schema: WorkflowRecordDTO },
      handler: ({ params }) => workflows.deleteThumbnail(params.workflow_id),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/i/{workflow_id}/thumbnail",
      operationId: "get_workflow_thumbnail",
      tag,
      summary: "Get Workflow Thumbnail",
      description: "Gets a workflow's thumbnail image",
      params: WorkflowIdParams,
      response: { contentType: "image/webp", description: "The workflow thumbnail was fetched successfully" },
      handler: async ({ params, reply }) => {
        const thumbnail = await workflows.getThumbnail(params.workflow_id);
        if (thumbnail === null) {
          return reply.status(404).send({
            detail: "Workflow thumbnail not found",
            error: "WorkflowThumbnailNotFound",
            code: "workflow_thumbnail_not_found",
            message: `Workflow "${params.workflow_id}" has no thumbnail`,
          });
        }
        return reply.header("Cache-Control", "max-age=0").type(thumbnail.contentType).send(thumbnail.bytes);
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/workflows/i/{workflow_id}/is_public",
      operationId: "update_workflow_is_public",
      tag,
      summary: "Update Workflow Is Public",
      description: "Shares or unshares a workflow",
      params: WorkflowIdParams,
      body: Body_update_workflow_is_public,
      response: { schema: WorkflowRecordDTO },
      handler: ({ params, body }) => workflows.updateIsPublic(params.workflow_id, body.is_public),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/tags",
      operationId: "get_all_tags",
      tag,
      summary: "Get All Tags",
      description: "Gets all unique tags from workflows",
      query: z.object({ categories: categoriesFilter, is_public: publicFilter }),
      response: { schema: z.array(z.string()) },
      handler: ({ query }) => workflows.getAllTags(query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/counts_by_tag",
      operationId: "get_counts_by_tag",
      tag,
      summary: "Get Counts By Tag",
      description: "Counts workflows by tag",
      query: z.object({
        tags: z.array(z.string()).describe("The tags to get counts for"),
        categories: categoriesFilter,
        has_been_opened: openedFilter,
        is_public: publicFilter,
      }),
      response: { schema: z.record(z.string(), z.number().int()) },
      handler: ({ query }) => workflows.countsByTag(query.tags, query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/workflows/counts_by_category",
      operationId: "counts_by_category",
      tag,
      summary: "Counts By Category",
      description: "Counts workflows by category",
      query: z.object({
        categories: z.array(WorkflowCategory).describe("The categories to include"),
        has_been_opened: openedFilter,
        is_public: publicFilter,
      }),
      response: { schema: z.record(z.string(), z.number().int()) },
      handler: ({ query }) => workflows.countsByCategory(query.categories, query),
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/workflows/i/{workflow_id}/opened_at",
      operationId: "update_opened_at",
      tag,
      summary: "Update Opened At",
      description: "Updates the opened_at field of a workflow",
      params: WorkflowIdParams,
      response: { schema: null },
      handler: async ({ params }) => {
        await workflows.updateOpenedAt(params.workflow_id);
        return null;
      },
    }),
  ];
}
