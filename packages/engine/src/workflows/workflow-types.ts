/**
 * Wire shapes of InvokeAI's workflow JSON (`WorkflowWithoutID`, `Workflow`) and of the workflow library records.
 * Field names are InvokeAI's (camelCase inside the workflow document, snake_case on the records).
 */

/** `user` workflows are the user's own; `default` ones ship with the application. */
export type WorkflowCategory = "user" | "default";

/** The workflow categories InvokeAI knows. */
export const WORKFLOW_CATEGORIES: readonly WorkflowCategory[] = ["user", "default"];

/** A node field the workflow's author exposed in the linear view / form. */
export interface ExposedField {
  nodeId: string;
  fieldName: string;
}

/** `meta` block of a workflow: schema version and category. */
export interface WorkflowMeta {
  version: string;
  category: WorkflowCategory;
}

/** One field instance inside a UI node (`data.inputs[name]`). */
export interface WorkflowNodeInput {
  name: string;
  label?: string;
  description?: string;
  value?: unknown;
  [key: string]: unknown;
}

/** The `data` of an invocation node in a workflow. */
export interface WorkflowInvocationData {
  id: string;
  type: string;
  version?: string;
  nodePack?: string;
  label?: string;
  notes?: string;
  isOpen?: boolean;
  isIntermediate?: boolean;
  useCache?: boolean;
  inputs: Record<string, WorkflowNodeInput>;
  [key: string]: unknown;
}

/** A UI node: `invocation`, or a UI-only kind such as `notes` or `current_image`. */
export interface WorkflowNode {
  id: string;
  type: string;
  position?: { x: number; y: number };
  data: Record<string, unknown>;
  [key: string]: unknown;
}

/** A UI edge; `default` edges carry data, `collapsed` ones are drawn between collapsed nodes only. */
export interface WorkflowEdge {
  id?: string;
  type?: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  [key: string]: unknown;
}

/** InvokeAI's `WorkflowWithoutID`. */
export interface WorkflowWithoutID {
  name: string;
  author: string;
  description: string;
  version: string;
  contact: string;
  tags: string;
  notes: string;
  exposedFields: ExposedField[];
  meta: WorkflowMeta;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  form?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** InvokeAI's `Workflow`: a workflow with its library id. */
export interface Workflow extends WorkflowWithoutID {
  id: string;
}

/** `WorkflowRecordDTO`: a stored workflow. Timestamps are ISO-8601 strings. */
export interface WorkflowRecordDTO {
  workflow_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  user_id: string;
  is_public: boolean;
  workflow: Workflow;
}

/** `WorkflowRecordWithThumbnailDTO`: what `GET /workflows/i/{id}` returns. */
export interface WorkflowRecordWithThumbnailDTO extends WorkflowRecordDTO {
  thumbnail_url: string | null;
}

/** `WorkflowRecordListItemWithThumbnailDTO`: one row of a workflow list page. */
export interface WorkflowRecordListItemDTO {
  workflow_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  user_id: string;
  is_public: boolean;
  description: string;
  category: WorkflowCategory;
  tags: string;
  thumbnail_url: string | null;
}

/** InvokeAI's page-number pagination (`PaginatedResults`). */
export interface PaginatedResults<T> {
  page: number;
  pages: number;
  per_page: number;
  total: number;
  items: T[];
}

/** Orderings the library supports (`WorkflowRecordOrderBy`). */
export type WorkflowOrderBy = "created_at" | "updated_at" | "opened_at" | "name" | "is_public";

/** The values of `WorkflowRecordOrderBy`. */
export const WORKFLOW_ORDER_BY: readonly WorkflowOrderBy[] = [
  "created_at",
  "updated_at",
  "opened_at",
  "name",
  "is_public",
];

/** `SQLiteDirection`. */
export type SortDirection = "ASC" | "DESC";
