import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import type { SubModelType } from "@atelier/core";
import { ModelLoadError } from "../model-errors.js";
import { withClipHiddenStates } from "../onnx/onnx-graph-outputs.js";
import { currentOnnxSessionSettings, onnxSessionOptions } from "./onnx-settings.js";

/** An ONNX part loaded into onnxruntime. */
export interface OnnxComponent {
  readonly submodelType: SubModelType | null;
  /** The `.onnx` file. */
  readonly path: string;
  readonly session: InferenceSession;
  /** The diffusers/transformers `config.json` beside the file, when there is one. */
  readonly config: Readonly<Record<string, unknown>> | null;
  /** Which execution provider the session asked for first (`cpu` or `cuda`). */
  readonly executionProvider: "cpu" | "cuda";
}

/**
 * Execution providers for the config `device`. `cuda[:N]` asks for CUDA (onnxruntime-node's CUDA provider needs
 * its separately installed binaries); everything else, `auto` included, runs on the CPU, which every build has.
 */
export function executionProvidersFor(device: string): {
  providers: InferenceSession.ExecutionProviderConfig[];
  kind: "cpu" | "cuda";
} {
  const cuda = /^cuda(?::(\d+))?$/.exec(device);
  if (cuda !== null) return { providers: [{ name: "cuda", deviceId: Number(cuda[1] ?? 0) }], kind: "cuda" };
  return { providers: ["cpu"], kind: "cpu" };
}

/** The ONNX file plus its external-data files (what the session will hold in memory). */
export async function onnxSizeBytes(file: string): Promise<number> {
  const folder = dirname(file);
  let total = (await stat(file)).size;
  for (const name of await readdir(folder)) {
    if (/\.(onnx_data|onnx\.data|data)$/.test(name) || name === "weights.pb")
      total += (await stat(join(folder, name))).size;
  }
  return total;
}

/** Creates an onnxruntime session for a `.onnx` file on the configured device. */
export async function loadOnnxComponent(
  file: string,
  submodelType: SubModelType | null,
  device: string,
): Promise<OnnxComponent> {
  return createOnnxComponent(file, file, submodelType, device);
}

/**
 * Loads a text encoder part. A CLIP encoder exported without its intermediate layers gets `hidden_states.K`
 * outputs added (see onnx-graph-outputs.ts), which CLIP skip and SDXL's penultimate layer read.
 */
export async function loadTextEncoderComponent(
  file: string,
  submodelType: SubModelType | null,
  device: string,
): Promise<OnnxComponent> {
  const withStates = withClipHiddenStates(new Uint8Array(await readFile(file)), file);
  return withStates === null
    ? loadOnnxComponent(file, submodelType, device)
    : createOnnxComponent(withStates, file, submodelType, device);
}

/**
 * Creates an onnxruntime session from the bytes of a `.onnx` file or another path (a LoRA-patched copy); `file` is
 * where the original lies, for its `config.json` and for messages.
 */
export async function createOnnxComponent(
  source: string | Uint8Array,
  file: string,
  submodelType: SubModelType | null,
  device: string,
): Promise<OnnxComponent> {
  const ort = await import("onnxruntime-node");
  const { providers, kind } = executionProvidersFor(device);
  const options: InferenceSession.SessionOptions = {
    ...onnxSessionOptions(currentOnnxSessionSettings()),
    executionProviders: providers,
  };
  let session: InferenceSession;
  try {
    session =
      typeof source === "string"
        ? await ort.InferenceSession.create(source, options)
        : await ort.InferenceSession.create(source, options);
  } catch (cause) {
    const reason =
      kind === "cuda"
        ? `onnxruntime could not start the CUDA execution provider (device ${device}): ${(cause as Error).message}; set device: cpu`
        : `onnxruntime refused the file: ${(cause as Error).message}`;
    throw new ModelLoadError(file, reason, { path: file, device }, cause);
  }
  let config: Record<string, unknown> | null = null;
  try {
    const json: unknown = JSON.parse(await readFile(join(dirname(file), "config.json"), "utf8"));
    if (typeof json === "object" && json !== null && !Array.isArray(json)) config = json as Record<string, unknown>;
  } catch {
    config = null;
  }
  return { submodelType, path: file, session, config, executionProvider: kind };
}
