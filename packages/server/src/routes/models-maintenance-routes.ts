import {
  convertModel,
  deleteOrphanedModels,
  findOrphanedModels,
  InvalidModelSourceError,
  parseModelSource,
  starterModels,
  type ModelManager,
} from "@atelier/engine";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { readUploadedFile } from "../http/uploads.js";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { escapeHtml } from "../pages/html.js";
import {
  AnyModelConfig,
  Body_do_hf_login,
  Body_update_model_image,
  BulkReidentifyModelsRequest,
  BulkReidentifyModelsResponse,
  DeleteOrphanedModelsRequest,
  DeleteOrphanedModelsResponse,
  HFTokenStatus,
  OrphanedModelInfo,
  StarterModelResponse,
} from "../schemas/models-schemas.js";

/**
 * The rest of InvokeAI's model_manager router: cover images, bulk re-identification, the one-click Hugging Face
 * install link, conversion (refused, with the reason), starter models, the Hugging Face login and orphaned folders.
 */
export function modelsMaintenanceRoutes(deps: { models: ModelManager }): AnyRouteSpec[] {
  const { models } = deps;
  const { records, install, images, hf, hfLogin } = models;
  const tag = "model_manager";
  const base = "/api/v2/models";
  return [
    defineRoute({
      method: "GET",
      path: `${base}/i/{key}/image`,
      operationId: "get_model_image",
      tag,
      summary: "Get Model Image",
      description: "Gets an image file that previews the model",
      params: z.object({ key: z.string().describe("The name of model image file to get") }),
      response: { contentType: "image/webp", description: "The model image was fetched successfully" },
      handler: async ({ params, reply }) => {
        const bytes = await images.read(params.key);
        return reply.type("image/webp").header("cache-control", "max-age=0, must-revalidate").send(bytes);
      },
    }),
    defineRoute({
      method: "PATCH",
      path: `${base}/i/{key}/image`,
      operationId: "update_model_image",
      tag,
      summary: "Update Model Image",
      description: "Sets the model's cover image (stored as a 256 px WebP thumbnail).",
      params: z.object({ key: z.string().describe("Unique key of model") }),
      body: Body_update_model_image,
      bodyContentType: "multipart/form-data",
      response: { schema: null, description: "The model image was updated successfully" },
      handler: async ({ params, request }) => {
        await records.get(params.key);
        const file = await readUploadedFile(request, "image");
        await images.save(params.key, file.bytes);
        return null;
      },
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/i/{key}/image`,
      operationId: "delete_model_image",
      tag,
      summary: "Delete Model Image",
      description: "Removes the model's cover image.",
      params: z.object({
        key: z.string().describe("Unique key of model image to remove from model_images directory."),
      }),
      response: { schema: null, status: 204 },
      handler: async ({ params, reply }) => {
        await images.delete(params.key);
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/i/bulk_reidentify`,
      operationId: "bulk_reidentify_models",
      tag,
      summary: "Bulk Reidentify Models",
      description:
        "Reidentify multiple models by re-probing their weights files; each failure is reported, not thrown.",
      body: BulkReidentifyModelsRequest,
      response: { schema: BulkReidentifyModelsResponse },
      handler: async ({ body }) => {
        const succeeded: string[] = [];
        const failed: Record<string, unknown>[] = [];
        for (const key of body.keys) {
          try {
            await install.reidentify(key);
            succeeded.push(key);
          } catch (error) {
            failed.push({ key, error: (error as Error).message });
          }
        }
        return { succeeded, failed };
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/install/huggingface`,
      operationId: "install_hugging_face_model",
      tag,
      summary: "Install Hugging Face Model",
      description:
        "Install a Hugging Face model using a string identifier (the hub's “use this model” link); answers a small HTML page.",
      query: z.object({ source: z.string().describe("HuggingFace repo_id to install") }),
      response: {
        schema: z.string(),
        contentType: "text/html",
        status: 201,
        description: "The model is being installed",
      },
      handler: ({ query, reply }) => {
        if (parseModelSource(query.source).type !== "hf")
          throw new InvalidModelSourceError(query.source, "it is not a Hugging Face repo id");
        const job = install.heuristicImport(query.source);
        const text = escapeHtml(query.source);
        return reply
          .code(201)
          .type("text/html; charset=utf-8")
          .send(
            `<!doctype html><html><head><meta charset="utf-8"><title>Installing ${text}</title></head>` +
              `<body><p>Atelier is installing <b>${text}</b> (install job ${job.id}). ` +
              `Follow it in the model manager or at <code>/api/v2/models/install/${job.id}</code>.</p></body></html>`,
          );
      },
    }),
    defineRoute({
      method: "PUT",
      path: `${base}/convert/{key}`,
      operationId: "convert_model",
      tag,
      summary: "Convert Model",
      description:
        "InvokeAI converts a main checkpoint to a diffusers folder. Atelier runs ONNX exports, so conversion is refused (422) with how to export the checkpoint to ONNX; models other than main checkpoints answer 400.",
      params: z.object({
        key: z.string().describe("Unique key of the safetensors main model to convert to diffusers format."),
      }),
      response: { schema: AnyModelConfig },
      handler: ({ params }) => convertModel(records, params.key),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/starter_models`,
      operationId: "get_starter_models",
      tag,
      summary: "Get Starter Models",
      description: "Models offered for one-click install (ONNX exports), each marked when already installed.",
      response: { schema: StarterModelResponse },
      handler: async () => starterModels(await records.list()),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/hf_login`,
      operationId: "get_hf_login_status",
      tag,
      summary: "Get Hf Login Status",
      description:
        "Whether the hub accepts the stored token: `invalid` without one, `unknown` when the hub is unreachable.",
      response: { schema: HFTokenStatus },
      handler: async ({ reply }) => jsonString(reply, await hfLogin.status(hf)),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/hf_login`,
      operationId: "do_hf_login",
      tag,
      summary: "Do Hf Login",
      description: "Stores a Hugging Face token (readable by the owner only, never logged) and reports its status.",
      body: Body_do_hf_login,
      response: { schema: HFTokenStatus },
      handler: async ({ body, reply }) => jsonString(reply, await hfLogin.login(hf, body.token)),
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/hf_login`,
      operationId: "reset_hf_token",
      tag,
      summary: "Reset Hf Token",
      description: "Forgets the stored Hugging Face token.",
      response: { schema: HFTokenStatus },
      handler: async ({ reply }) => jsonString(reply, await hfLogin.logout(hf)),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/sync/orphaned`,
      operationId: "get_orphaned_models",
      tag,
      summary: "Get Orphaned Models",
      description: "Folders in the models folder that hold model files no installed model points to.",
      response: { schema: z.array(OrphanedModelInfo) },
      handler: () => findOrphanedModels(records),
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/sync/orphaned`,
      operationId: "delete_orphaned_models",
      tag,
      summary: "Delete Orphaned Models",
      description:
        "Deletes orphaned folders given by their paths relative to the models folder; a path that is not an orphan now is reported in `errors`.",
      body: DeleteOrphanedModelsRequest,
      response: { schema: DeleteOrphanedModelsResponse },
      handler: ({ body }) => deleteOrphanedModels(records, body.paths),
    }),
  ];
}

/** Sends a bare string as a JSON string, as FastAPI does (Fastify would send it as text). */
function jsonString(reply: FastifyReply, value: string): FastifyReply {
  return reply.type("application/json; charset=utf-8").send(JSON.stringify(value));
}
