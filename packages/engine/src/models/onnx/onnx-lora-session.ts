import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoraPatchTarget, SubModelType } from "@atelier/core";
import type { Logger } from "../../logging/logger.js";
import type { CacheableModel } from "../cache/model-cache.js";
import { createOnnxComponent, type OnnxComponent } from "../loaders/onnx-session.js";
import { ModelLoadError } from "../model-errors.js";
import { externalDataPath, readOnnxModelFile, type OnnxModelFile } from "./onnx-model-file.js";
import { withClipHiddenStates } from "./onnx-graph-outputs.js";
import { patchOnnxWithLoras, type WeightedLora } from "./onnx-lora-patch.js";

/** What loadOnnxWithLoras needs. */
export interface OnnxLoraLoadRequest {
  /** The base part's `.onnx` file (never written). */
  readonly file: string;
  readonly submodelType: SubModelType | null;
  readonly device: string;
  readonly loras: readonly WeightedLora[];
  readonly target: LoraPatchTarget;
  readonly logger?: Logger;
}

/**
 * An ONNX part with LoRAs merged, as a cache entry: the file is read, a copy patched and a session created from
 * the copy's bytes. A model with external data is written with its (patched) data files to a temp folder first,
 * because onnxruntime resolves external data beside a model path; the folder goes once the session holds it.
 */
export async function loadOnnxWithLoras(request: OnnxLoraLoadRequest): Promise<CacheableModel<OnnxComponent>> {
  const { file, submodelType, device, target } = request;
  let model: OnnxModelFile;
  try {
    model = await readOnnxModelFile(file);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause;
    throw new ModelLoadError(file, "no such ONNX file to merge LoRAs into", { path: file }, cause);
  }
  const patch = await patchOnnxWithLoras(model, request.loras, target, {
    readExternal: async (location) => new Uint8Array(await readFile(externalDataPath(model, location))),
  });
  if (patch.unmatched.length > 0) {
    request.logger?.warning(
      `${patch.unmatched.length} LoRA layers name no weight of ${file} and were skipped (first: ${patch.unmatched[0]})`,
      { layers: patch.unmatched.slice(0, 20) },
    );
  }
  const locations = new Set<string>();
  for (const init of model.initializers) if (init.data.kind === "external") locations.add(init.data.location);
  let component: OnnxComponent;
  let externalBytes = 0;
  if (locations.size === 0) {
    // Text encoders get their hidden-state outputs as the unpatched part does (see loadTextEncoderComponent).
    const textEncoder = target === "text_encoder" || target === "text_encoder_2";
    const bytes = (textEncoder ? withClipHiddenStates(patch.bytes, file) : null) ?? patch.bytes;
    component = await createOnnxComponent(bytes, file, submodelType, device);
  } else {
    const folder = await mkdtemp(join(tmpdir(), "atelier-lora-onnx-"));
    try {
      const patchedFile = join(folder, "model.onnx");
      await writeFile(patchedFile, patch.bytes);
      for (const location of locations) {
        const target = join(folder, location);
        const patched = patch.externalData.get(location);
        if (patched !== undefined) await writeFile(target, patched);
        else await copyFile(externalDataPath(model, location), target);
        externalBytes += patched?.length ?? 0;
      }
      component = await createOnnxComponent(patchedFile, file, submodelType, device);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  return {
    model: component,
    sizeBytes: patch.bytes.length + externalBytes,
    dispose: () => component.session.release(),
  };
}
