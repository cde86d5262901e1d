import {
  parseStylePresetFormData,
  type StylePresetImportFile,
  type StylePresetRecordWithImage,
  type StylePresetService,
} from "@atelier/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { RequestValidationError } from "../http/request-validation.js";
import {
  Body_create_style_preset,
  Body_import_style_presets,
  Body_update_style_preset,
  StylePresetRecordWithImage as StylePresetRecordWithImageSchema,
} from "../schemas/style-preset-schemas.js";

/** What the style preset routes call: the engine's StylePresetService has this shape. */
export interface StylePresetsPort {
  list(): Promise<StylePresetRecordWithImage[]>;
  get(stylePresetId: string): Promise<StylePresetRecordWithImage>;
  /** Creates from the `data` form field (a JSON string) and an optional image. */
  createFromForm(data: string, image?: Uint8Array): Promise<StylePresetRecordWithImage>;
  /** Updates from the `data` form field; without an image the preview is removed, as InvokeAI does. */
  updateFromForm(stylePresetId: string, data: string, image?: Uint8Array): Promise<StylePresetRecordWithImage>;
  delete(stylePresetId: string): Promise<void>;
  getImage(stylePresetId: string): Promise<Uint8Array | null>;
  exportCsv(): Promise<string>;
  importFile(file: StylePresetImportFile): Promise<unknown>;
}

/** The port over the engine's service: the `data` form field is parsed (and validated) by the engine's parser. */
export function stylePresetsPort(service: StylePresetService): StylePresetsPort {
  return {
    list: () => service.list(),
    get: (id) => service.get(id),
    createFromForm: (data, image) => service.create(parseStylePresetFormData(data), image),
    // InvokeAI's update removes the preview when no image comes with the form; its UI always re-sends it.
    updateFromForm: (id, data, image) => service.update(id, parseStylePresetFormData(data), image ?? null),
    delete: (id) => service.delete(id),
    getImage: (id) => service.getImage(id),
    exportCsv: () => service.exportCsv(),
    importFile: (file) => service.importFile(file),
  };
}

interface PresetForm {
  fields: Record<string, string>;
  files: Record<string, { bytes: Buffer; filename: string; mimetype: string }>;
}

// The shared upload reader insists on its file part; here the image is optional, so every part is collected.
async function readForm(request: FastifyRequest, required: string): Promise<PresetForm> {
  if (!request.isMultipart()) {
    throw new RequestValidationError([
      { loc: ["body", required], msg: "Expected a multipart/form-data upload", type: "missing" },
    ]);
  }
  const form: PresetForm = { fields: {}, files: {} };
  for await (const part of request.parts()) {
    if (part.type === "file") {
      // Every file part must be drained, or the request never ends.
      const bytes = await part.toBuffer();
      form.files[part.fieldname] ??= { bytes, filename: part.filename, mimetype: part.mimetype };
    } else if (typeof part.value === "string") {
      form.fields[part.fieldname] = part.value;
    }
  }
  return form;
}

function requiredField(form: PresetForm, name: string): string {
  const value = form.fields[name];
  if (value === undefined)
    throw new RequestValidationError([{ loc: ["body", name], msg: "Field required", type: "missing" }]);
  return value;
}

// An empty file part is what a browser sends for an untouched file input: no image.
function optionalImage(form: PresetForm): Uint8Array | undefined {
  const file = form.files.image;
  return file === undefined || file.bytes.length === 0 ? undefined : file.bytes;
}

const PresetIdParams = z.object({ style_preset_id: z.string().describe("The style preset to get") });

/** `/api/v1/style_presets/*`: InvokeAI's style presets (prompt templates), their images, CSV export and import. */
export function stylePresetRoutes(deps: { stylePresets: StylePresetsPort }): AnyRouteSpec[] {
  const { stylePresets } = deps;
  const tag = "style_presets";
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/style_presets/i/{style_preset_id}",
      operationId: "get_style_preset",
      tag,
      summary: "Get Style Preset",
      description: "Gets a style preset",
      params: PresetIdParams,
      response: { schema: StylePresetRecordWithImageSchema },
      handler: ({ params }) => stylePresets.get(params.style_preset_id),
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/style_presets/i/{style_preset_id}",
      operationId: "update_style_preset",
      tag,
      summary: "Update Style Preset",
      description: "Updates a style preset",
      params: z.object({ style_preset_id: z.string().describe("The id of the style preset to update") }),
      body: Body_update_style_preset,
      bodyContentType: "multipart/form-data",
      response: { schema: StylePresetRecordWithImageSchema },
      handler: async ({ params, request }) => {
        const form = await readForm(request, "data");
        return stylePresets.updateFromForm(params.style_preset_id, requiredField(form, "data"), optionalImage(form));
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/style_presets/i/{style_preset_id}",
      operationId: "delete_style_preset",
      tag,
      summary: "Delete Style Preset",
      description: "Deletes a style preset",
      params: z.object({ style_preset_id: z.string().describe("The style preset to delete") }),
      response: { schema: null },
      handler: async ({ params }) => {
        await stylePresets.delete(params.style_preset_id);
        return null;
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/style_presets/",
      operationId: "create_style_preset",
      tag,
      summary: "Create Style Preset",
      description: "Creates a style preset",
      body: Body_create_style_preset,
      bodyContentType: "multipart/form-data",
      response: { schema: StylePresetRecordWithImageSchema },
      handler: async ({ request }) => {
        const form = await readForm(request, "data");
        return stylePresets.createFromForm(requiredField(form, "data"), optionalImage(form));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/style_presets/",
      operationId: "list_style_presets",
      tag,
      summary: "List Style Presets",
      description: "Gets the style presets visible to the current user.",
      response: { schema: z.array(StylePresetRecordWithImageSchema) },
      handler: () => stylePresets.list(),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/style_presets/i/{style_preset_id}/image",
      operationId: "get_style_preset_image",
      tag,
      summary: "Get Style Preset Image",
      description: "Gets an image file that previews the model",
      params: z.object({ style_preset_id: z.string().describe("The id of the style preset image to get") }),
      response: { contentType: "image/webp", description: "The style preset image was fetched successfully" },
      handler: async ({ params, reply }) => {
        const image = await stylePresets.getImage(params.style_preset_id);
        if (image === null) {
          return reply.status(404).send({
            detail: "Style preset image not found",
            error: "StylePresetImageNotFound",
            code: "style_preset_image_not_found",
            message: `Style preset "${params.style_preset_id}" has no image`,
          });
        }
        return reply.header("Cache-Control", "max-age=0").type("image/webp").send(Buffer.from(image));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/style_presets/export",
      operationId: "export_style_presets",
      tag,
      summary: "Export Style Presets",
      response: { contentType: "text/csv", description: "A CSV file with the requested data." },
      handler: async ({ reply }) => {
        const csv = await stylePresets.exportCsv();
        return reply
          .header("Content-Disposition", "attachment; filename=prompt_templates.csv")
          .type("text/csv; charset=utf-8")
          .send(csv);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/style_presets/import",
      operationId: "import_style_presets",
      tag,
      summary: "Import Style Presets",
      body: Body_import_style_presets,
      bodyContentType: "multipart/form-data",
      response: { schema: null },
      handler: async ({ request }) => {
        const form = await readForm(request, "file");
        const file = form.files.file;
        if (file === undefined) {
          throw new RequestValidationError([{ loc: ["body", "file"], msg: "Field required", type: "missing" }]);
        }
        await stylePresets.importFile({ bytes: file.bytes, contentType: file.mimetype, filename: file.filename });
        return null;
      },
    }),
  ];
}
