/**
 * The ONNX parts of a pipeline as the generation nodes see them: the model cache hands out an object holding an
 * onnxruntime InferenceSession (`{ session }`); nodes call it structurally, without importing onnxruntime, and
 * feed plain `{type, dims, data}` tensors, which onnxruntime-node accepts as OnnxValues. Each input's element type
 * and rank is read from the session (exports differ: int32/int64 ids, rank-0 or rank-1 timesteps, float16 parts).
 */
import { float16ArrayToFloat32, float32ArrayToFloat16 } from "@atelier/core";
import { GenerationModelError } from "./generation-errors.js";

/** A tensor as onnxruntime takes and returns it. */
export interface OnnxTensorValue {
  readonly type: string;
  /** Where the data lives; onnxruntime-node requires it on plain-object feeds. */
  readonly location?: "cpu";
  readonly dims: readonly number[];
  readonly data: ArrayBufferView;
}

/** Declared type and shape of one session input. */
export interface OnnxInputInfo {
  readonly name: string;
  readonly type: string;
  /** Dimensions: numbers where fixed, names where symbolic; null when the runtime does not say. */
  readonly shape: readonly (number | string)[] | null;
}

/** The part of an onnxruntime InferenceSession the nodes use. */
export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly {
    readonly name: string;
    readonly type?: string;
    readonly shape?: readonly (number | string)[];
  }[];
  run(feeds: Record<string, OnnxTensorValue>): Promise<Record<string, OnnxTensorValue>>;
}

/** An ONNX part: its session and the `config.json` beside it. */
export interface OnnxPart {
  readonly session: OnnxSessionLike;
  readonly config: Readonly<Record<string, unknown>> | null;
  /** Where the part came from, for messages. */
  readonly what: string;
}

/** The ONNX part held by a loaded model; a typed error when the model is not an ONNX session (torch formats). */
export function asOnnxPart(model: unknown, what: string): OnnxPart {
  const session = (model as { session?: unknown } | null)?.session as Partial<OnnxSessionLike> | undefined;
  if (typeof session?.run !== "function" || !Array.isArray(session.inputNames)) {
    throw new GenerationModelError(
      what,
      "is not an ONNX session; Atelier runs models with onnxruntime, so install the model's ONNX export",
    );
  }
  const config = (model as { config?: unknown }).config;
  return {
    session: session as OnnxSessionLike,
    config: typeof config === "object" && config !== null ? (config as Record<string, unknown>) : null,
    what,
  };
}

/** The declared element type and shape of an input; a typed error when the part has no such input. */
export function onnxInput(part: OnnxPart, name: string): OnnxInputInfo {
  if (!part.session.inputNames.includes(name)) {
    throw new GenerationModelError(part.what, `has no input ${name} (inputs: ${part.session.inputNames.join(", ")})`);
  }
  const meta = part.session.inputMetadata?.find((m) => m.name === name);
  return { name, type: meta?.type ?? "float32", shape: meta?.shape ?? null };
}

/** The first of `names` that the part has as an input, else a typed error listing them. */
export function firstInput(part: OnnxPart, names: readonly string[]): OnnxInputInfo {
  const found = names.find((n) => part.session.inputNames.includes(n));
  if (found === undefined) {
    throw new GenerationModelError(
      part.what,
      `has none of the inputs ${names.join(" / ")} (inputs: ${part.session.inputNames.join(", ")})`,
    );
  }
  return onnxInput(part, found);
}

/** A float tensor in the element type the input declares (float32, float16 or float64). */
export function floatFeed(input: OnnxInputInfo, dims: readonly number[], data: Float32Array): OnnxTensorValue {
  switch (input.type) {
    case "float32":
      return { type: "float32", location: "cpu", dims, data };
    case "float16":
      return { type: "float16", location: "cpu", dims, data: float32ArrayToFloat16(data) };
    case "float64":
      return { type: "float64", location: "cpu", dims, data: Float64Array.from(data) };
    default:
      throw new GenerationModelError(
        `input ${input.name}`,
        `has element type ${input.type}; a float type was expected`,
      );
  }
}

/** An integer tensor (token ids) in the element type the input declares (int64 or int32). */
export function intFeed(input: OnnxInputInfo, dims: readonly number[], values: readonly number[]): OnnxTensorValue {
  switch (input.type) {
    case "int64":
      return { type: "int64", location: "cpu", dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
    case "int32":
      return { type: "int32", location: "cpu", dims, data: Int32Array.from(values) };
    default:
      throw new GenerationModelError(
        `input ${input.name}`,
        `has element type ${input.type}; int64 or int32 was expected`,
      );
  }
}

/**
 * A scalar broadcast to the rank the input declares: rank 0 as is, rank 1 with its fixed length or `batch`
 * (old exports take `timestep` as [1] or [batch]); integer inputs get the value truncated, as torch's cast does.
 */
export function scalarFeed(input: OnnxInputInfo, value: number, batch: number): OnnxTensorValue {
  const rank = input.shape?.length ?? 0;
  const first = input.shape?.[0];
  const dims =
    rank === 0 ? [] : [typeof first === "number" && first > 0 ? first : batch, ...Array<number>(rank - 1).fill(1)];
  const count = dims.reduce((a, b) => a * b, 1);
  if (input.type === "int64" || input.type === "int32")
    return intFeed(input, dims, Array<number>(count).fill(Math.trunc(value)));
  return floatFeed(input, dims, new Float32Array(count).fill(value));
}

/** An output as float32 (float16 outputs widened); a typed error when the part did not return it. */
export function outputFloat32(
  part: OnnxPart,
  outputs: Record<string, OnnxTensorValue>,
  name: string,
): {
  readonly dims: readonly number[];
  readonly data: Float32Array;
} {
  const value = outputs[name];
  if (value === undefined) {
    throw new GenerationModelError(part.what, `returned no ${name} (outputs: ${Object.keys(outputs).join(", ")})`);
  }
  if (value.data instanceof Float32Array) return { dims: value.dims, data: value.data };
  if (value.type === "float16" && value.data instanceof Uint16Array) {
    return { dims: value.dims, data: float16ArrayToFloat32(value.data) };
  }
  if (value.data instanceof Float64Array) return { dims: value.dims, data: Float32Array.from(value.data) };
  throw new GenerationModelError(part.what, `output ${name} has element type ${value.type}; a float type was expected`);
}

/** The first of `names` among a part's outputs (exports name the same output differently). */
export function firstOutputName(part: OnnxPart, names: readonly string[]): string {
  const found = names.find((n) => part.session.outputNames.includes(n)) ?? part.session.outputNames[0];
  if (found === undefined) throw new GenerationModelError(part.what, "has no outputs");
  return found;
}
