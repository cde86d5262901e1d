import { z } from "zod";
import { JsonObject, named } from "./api-registry.js";

export const WorkflowCategory = named("WorkflowCategory", z.enum(["user", "default"]));

export const WorkflowRecordOrderBy = named(
  "WorkflowRecordOrderBy",
  z.enum(["created_at", "updated_at", "opened_at", "name", "is_public"]),
  "The order by options for workflow records",
);

export const ExposedField = named("ExposedField", z.object({ nodeId: z.string(), fieldName: z.string() }));

export const WorkflowMeta = named(
  "WorkflowMeta",
  z.looseObject({
    version: z.string().describe("The version of the workflow schema."),
    category: WorkflowCategory.describe("The category of the workflow (user or default)."),
  }),
);

const workflowShape = {
  name: z.string().default("").describe("The name of the workflow."),
  author: z.string().default("").describe("The author of the workflow."),
  description: z.string().default("").describe("The description of the workflow."),
  version: z.string().default("").describe("The version of the workflow."),
  contact: z.string().default("").describe("The contact of the workflow."),
  tags: z.string().default("").describe("The tags of the workflow."),
  notes: z.string().default("").describe("The notes of the workflow."),
  exposedFields: z.array(ExposedField).default([]).describe("The exposed fields of the workflow."),
  meta: WorkflowMeta.describe("The meta of the workflow."),
  nodes: z.array(JsonObject).describe("The nodes of the workflow."),
  edges: z.array(JsonObject).describe("The edges of the workflow."),
  form: JsonObject.nullable().optional().describe("The form of the workflow."),
};

/** `WorkflowWithoutID`: structural check only; the library's own parser gives the precise messages. */
export const WorkflowWithoutID = named("WorkflowWithoutID", z.looseObject(workflowShape));

export const Workflow = named(
  "Workflow",
  z.looseObject({ ...workflowShape, id: z.string().describe("The id of the workflow.") }),
);

const recordShape = {
  workflow_id: z.string().describe("The id of the workflow."),
  name: z.string().describe("The name of the workflow."),
  created_at: z.string().describe("The created timestamp of the workflow."),
  updated_at: z.string().describe("The updated timestamp of the workflow."),
  opened_at: z.string().nullable().describe("The opened timestamp of the workflow."),
  user_id: z.string().describe("The id of the user who owns this workflow."),
  is_public: z.boolean().describe("Whether this workflow is shared with all users."),
};

export const WorkflowRecordDTO = named(
  "WorkflowRecordDTO",
  z.object({ ...recordShape, workflow: Workflow.describe("The workflow.") }),
);

export const WorkflowRecordWithThumbnailDTO = named(
  "WorkflowRecordWithThumbnailDTO",
  z.object({
    ...recordShape,
    workflow: Workflow.describe("The workflow."),
    thumbnail_url: z.string().nullable().describe("The URL of the workflow thumbnail."),
  }),
);

export const WorkflowRecordListItemWithThumbnailDTO = named(
  "WorkflowRecordListItemWithThumbnailDTO",
  z.object({
    ...recordShape,
    description: z.string().describe("The description of the workflow."),
    category: WorkflowCategory,
    tags: z.string().describe("The tags of the workflow."),
    thumbnail_url: z.string().nullable().describe("The URL of the workflow thumbnail."),
  }),
);

export const PaginatedWorkflows = named(
  "PaginatedResults_WorkflowRecordListItemWithThumbnailDTO_",
  z.object({
    page: z.number().int().describe("Current Page"),
    pages: z.number().int().describe("Total number of pages"),
    per_page: z.number().int().describe("Number of items per page"),
    total: z.number().int().describe("Total number of items in result"),
    items: z.array(WorkflowRecordListItemWithThumbnailDTO).describe("Items"),
  }),
);

export const Body_create_workflow = named(
  "Body_create_workflow",
  z.object({ workflow: WorkflowWithoutID.describe("The workflow to create") }),
);

export const Body_update_workflow = named(
  "Body_update_workflow",
  z.object({ workflow: Workflow.describe("The updated workflow") }),
);

export const Body_update_workflow_is_public = named(
  "Body_update_workflow_is_public",
  z.object({ is_public: z.boolean().describe("Whether the workflow should be shared publicly") }),
);

export const Body_set_workflow_thumbnail = named(
  "Body_set_workflow_thumbnail",
  z.object({
    image: z.string().meta({ contentMediaType: "application/octet-stream" }).describe("The image file to upload"),
  }),
);
