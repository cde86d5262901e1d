import { InvalidModelSourceError, UnknownModelError, type ModelManager } from "@atelier/engine";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { modelsMaintenanceRoutes } from "./models-maintenance-routes.js";
import { SQLiteDirection } from "../schemas/api-registry.js";
import {
  AnyModelConfig,
  BaseModelType,
  Body_bulk_delete_models,
  Body_restart_file,
  BulkDeleteModelsResponse,
  CacheStats,
  FoundModel,
  HuggingFaceModels,
  ModelFormat,
  ModelInstallJob,
  ModelRecordChanges,
  ModelRecordOrderBy,
  ModelsList,
  ModelType,
} from "../schemas/models-schemas.js";

const KeyParams = z.object({ key: z.string().describe("Key of the model") });
const JobParams = z.object({ id: z.number().int().describe("Model install job ID") });

/** `/api/v2/models/*`: model records, installs and the model cache (InvokeAI's model_manager router). */
export function modelsRoutes(deps: { models: ModelManager }): AnyRouteSpec[] {
  const { models } = deps;
  const { records, install, cache, images } = models;
  const tag = "model_manager";
  const base = "/api/v2/models";
  return [
    defineRoute({
      method: "GET",
      path: `${base}/`,
      operationId: "list_model_records",
      tag,
      summary: "List Model Records",
      description: "Get a list of models, filtered by base, type, name and format.",
      query: z.object({
        base_models: z.array(BaseModelType).nullable().optional().describe("Base models to include"),
        model_type: ModelType.nullable().optional().describe("The type of model to get"),
        model_name: z.string().nullable().optional().describe("Exact match on the name of the model"),
        model_format: ModelFormat.nullable()
          .optional()
          .describe("Exact match on the format of the model (e.g. 'diffusers')"),
        order_by: ModelRecordOrderBy.default("default").describe("The attribute to order by"),
        direction: SQLiteDirection.default("ASC").describe("The direction to order by"),
      }),
      response: { schema: ModelsList },
      handler: async ({ query }) => {
        const found = await records.list({
          base: query.base_models ?? undefined,
          type: query.model_type ?? undefined,
          name: query.model_name ?? undefined,
          format: query.model_format ?? undefined,
          orderBy: query.order_by,
          direction: query.direction,
        });
        const withImages = await images.keysWithImages();
        return { models: found.map((config) => images.withCoverImage(config, withImages)) };
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/missing`,
      operationId: "list_missing_models",
      tag,
      summary: "List Missing Models",
      description: "Models whose files are gone from disk.",
      response: { schema: ModelsList },
      handler: async () => ({ models: await install.missingModels() }),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/get_by_attrs`,
      operationId: "get_model_records_by_attrs",
      tag,
      summary: "Get Model Records By Attrs",
      description: "Gets the model with this name, type and base (the first, if several).",
      query: z.object({
        name: z.string().describe("The name of the model"),
        type: ModelType.describe("The type of the model"),
        base: BaseModelType.describe("The base model of the model"),
      }),
      response: { schema: AnyModelConfig },
      handler: async ({ query }) => {
        const [found] = await records.search({ name: query.name, type: query.type, base: query.base });
        if (found === undefined) {
          throw new UnknownModelError(
            `no model named ${JSON.stringify(query.name)} with base ${query.base} and type ${query.type}`,
            query,
          );
        }
        return found;
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/get_by_hash`,
      operationId: "get_model_records_by_hash",
      tag,
      summary: "Get Model Records By Hash",
      description: "Gets a model by its hash (e.g. `blake3:…`).",
      query: z.object({ hash: z.string().describe("The hash of the model") }),
      response: { schema: AnyModelConfig },
      handler: ({ query }) => records.getByHash(query.hash),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/i/{key}`,
      operationId: "get_model_record",
      tag,
      summary: "Get Model Record",
      description: "Get a model record",
      params: KeyParams,
      response: { schema: AnyModelConfig },
      handler: async ({ params }) =>
        images.withCoverImage(await records.get(params.key), await images.keysWithImages()),
    }),
    defineRoute({
      method: "PATCH",
      path: `${base}/i/{key}`,
      operationId: "update_model_record",
      tag,
      summary: "Update Model Record",
      description: "Update a model's config; a change of type, format or base may change its kind.",
      params: KeyParams,
      body: ModelRecordChanges,
      response: { schema: AnyModelConfig },
      handler: async ({ params, body }) => {
        const updated = await records.update(params.key, body);
        models.dropFromCache(params.key);
        return updated;
      },
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/i/{key}`,
      operationId: "delete_model",
      tag,
      summary: "Delete Model",
      description: "Delete a model; its files go too when they live inside the models folder.",
      params: KeyParams,
      response: { schema: null, status: 204 },
      handler: async ({ params, reply }) => {
        await install.delete(params.key);
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/i/{key}/reidentify`,
      operationId: "reidentify_model",
      tag,
      summary: "Reidentify Model",
      description: "Identify the model's files again, keeping its key, name, description, source and settings.",
      params: KeyParams,
      response: { schema: AnyModelConfig },
      handler: ({ params }) => install.reidentify(params.key),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/i/bulk_delete`,
      operationId: "bulk_delete_models",
      tag,
      summary: "Bulk Delete Models",
      description: "Delete several models; each failure is reported, not thrown.",
      body: Body_bulk_delete_models,
      response: { schema: BulkDeleteModelsResponse },
      handler: async ({ body }) => {
        const deleted: string[] = [];
        const failed: Record<string, unknown>[] = [];
        for (const key of body.keys) {
          try {
            await install.delete(key);
            deleted.push(key);
          } catch (error) {
            failed.push({ key, error: (error as Error).message });
          }
        }
        return { deleted, failed };
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/scan_folder`,
      operationId: "scan_for_models",
      tag,
      summary: "Scan For Models",
      description: "The models in a folder, and whether each is installed.",
      query: z.object({
        scan_path: z.string().nullable().optional().describe("Directory path to search for models"),
      }),
      response: { schema: z.array(FoundModel) },
      handler: ({ query }) => install.scanFolder(query.scan_path ?? models.config.paths.models),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/hugging_face`,
      operationId: "get_hugging_face_models",
      tag,
      summary: "Get Hugging Face Models",
      description: "The model files of a Hugging Face repo.",
      query: z.object({
        hugging_face_repo: z.string().nullable().optional().describe("Hugging face repo to search for models"),
      }),
      response: { schema: HuggingFaceModels },
      handler: ({ query }) => {
        if (query.hugging_face_repo == null)
          throw new InvalidModelSourceError("", "give the repo as hugging_face_repo=owner/name");
        return install.listHuggingFace(query.hugging_face_repo);
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/install`,
      operationId: "install_model",
      tag,
      summary: "Install Model",
      description:
        "Install a model from a local path, an http(s) URL or a Hugging Face repo id (`owner/repo[:variant[:subfolder]]`). Returns the job at once; follow it with `GET /install/{id}` or the `model_install_*` events.",
      query: z.object({
        source: z.string().describe("Model source to install, can be a local path, repo_id, or remote URL"),
        inplace: z
          .boolean()
          .nullable()
          .optional()
          .default(false)
          .describe("Whether or not to install a local model in place"),
        access_token: z.string().nullable().optional().describe("access token for the remote resource"),
      }),
      body: ModelRecordChanges,
      bodyRequired: false,
      response: { schema: ModelInstallJob, status: 201 },
      handler: ({ query, body, reply }) => {
        const job = install.heuristicImport(query.source, body ?? {}, {
          inplace: query.inplace ?? false,
          accessToken: query.access_token ?? undefined,
        });
        void reply.code(201);
        return job.toDTO();
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/install`,
      operationId: "list_model_installs",
      tag,
      summary: "List Model Installs",
      description: "Every install job: waiting, running and finished.",
      response: { schema: z.array(ModelInstallJob) },
      handler: () => install.listJobs().map((job) => job.toDTO()),
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/install`,
      operationId: "prune_model_install_jobs",
      tag,
      summary: "Prune Model Install Jobs",
      description: "Forget finished install jobs.",
      response: { schema: null, status: 204 },
      handler: async ({ reply }) => {
        await install.pruneJobs();
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/install/{id}`,
      operationId: "get_model_install_job",
      tag,
      summary: "Get Model Install Job",
      description: "An install job by id.",
      params: JobParams,
      response: { schema: ModelInstallJob },
      handler: ({ params }) => install.getJob(params.id).toDTO(),
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/install/{id}`,
      operationId: "cancel_model_install_job",
      tag,
      summary: "Cancel Model Install Job",
      description: "Cancel an install job: downloads stop and their files are removed; nothing is registered.",
      params: JobParams,
      response: { schema: ModelInstallJob, status: 201 },
      handler: async ({ params, reply }) => created(reply, (await install.cancelJob(params.id)).toDTO()),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/install/{id}/pause`,
      operationId: "pause_model_install_job",
      tag,
      summary: "Pause Model Install Job",
      description: "Pause a downloading install; partial files are kept.",
      params: JobParams,
      response: { schema: ModelInstallJob, status: 201 },
      handler: ({ params, reply }) => created(reply, install.pauseJob(params.id).toDTO()),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/install/{id}/resume`,
      operationId: "resume_model_install_job",
      tag,
      summary: "Resume Model Install Job",
      description: "Resume a paused install from its partial files (HTTP Range + ETag).",
      params: JobParams,
      response: { schema: ModelInstallJob, status: 201 },
      handler: ({ params, reply }) => created(reply, install.resumeJob(params.id).toDTO()),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/install/{id}/restart_failed`,
      operationId: "restart_failed_model_install_job",
      tag,
      summary: "Restart Failed Model Install Job",
      description: "Retry the unfinished files of a failed install.",
      params: JobParams,
      response: { schema: ModelInstallJob, status: 201 },
      handler: ({ params, reply }) => created(reply, install.restartFailed(params.id).toDTO()),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/install/{id}/restart_file`,
      operationId: "restart_model_install_file",
      tag,
      summary: "Restart Model Install File",
      description: "Download one file of an install again from its start.",
      params: JobParams,
      body: Body_restart_file,
      response: { schema: ModelInstallJob, status: 201 },
      handler: async ({ params, body, reply }) =>
        created(reply, (await install.restartFile(params.id, body.file_source)).toDTO()),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/stats`,
      operationId: "get_stats",
      tag,
      summary: "Get model manager RAM cache performance statistics.",
      description:
        "Hits, misses, high-water mark and what the model cache holds. The cache has a RAM tier only (inference runs on onnxruntime, which owns device memory), so no VRAM figures are reported; `cache_size` is the RAM budget in bytes.",
      response: { schema: CacheStats },
      // A fractional max_cache_ram_gb gives a fractional budget; InvokeAI reports whole bytes.
      handler: () => {
        const stats = cache.stats();
        return { ...stats, cache_size: Math.floor(stats.cache_size) };
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/empty_model_cache`,
      operationId: "empty_model_cache",
      tag,
      summary: "Empty Model Cache",
      description: "Drop every model that no node is using from the model cache.",
      response: { schema: null },
      handler: () => {
        cache.clear();
        return null;
      },
    }),
    ...modelsMaintenanceRoutes({ models }),
  ];
}

/** FastAPI routes declared with `status_code=201` answer 201 even for an existing job. */
function created<T>(reply: FastifyReply, body: T): T {
  void reply.code(201);
  return body;
}
