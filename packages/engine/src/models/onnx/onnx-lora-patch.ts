import { toFloat32, type LoraPatchTarget, type Tensor } from "@atelier/core";
import { checkLayer, loraLayersFor, type LoraLayerKeys } from "./lora-layers.js";
import { LoraPatchError } from "./onnx-errors.js";
import {
  readInitializerFloats,
  writeInitializerFloats,
  type OnnxInitializer,
  type OnnxModelFile,
} from "./onnx-model-file.js";
import { indexOnnxWeights, type OnnxModuleWeight, type OnnxWeightIndex } from "./onnx-weight-index.js";
import { ldmUnetModuleToDiffusers } from "./ldm-unet-names.js";

// Merges LoRAs into a copy of an ONNX model's bytes. For a layer with down [rank, in…] and up [out, rank…]:
//   W'[o, j] = fp32( W[o, j] + (weight · alpha / rank) · Σ_r up[o, r] · down[r, j] )
// with the sum and the product in float64 (r ascending), j running over in × kernel (a 1×1 or k×k conv's down
// matrix flattens the same way), alpha = rank when the file has none. A `.diff` layer adds weight · diff.
// LoRAs apply one after another in the order given, each rounding to the weight's float type.

/** The tensors of a LoRA file (a LazyStateDict fits). */
export interface LoraStateDict {
  keys(): readonly string[];
  get(name: string): Promise<Tensor>;
}

/** One LoRA to merge. */
export interface WeightedLora {
  /** Names the LoRA in messages. */
  readonly name: string;
  readonly stateDict: LoraStateDict;
  readonly weight: number;
}

/** A patched model. */
export interface OnnxLoraPatch {
  /** A copy of the model file with the patched values written in. */
  readonly bytes: Uint8Array;
  /** Patched copies of external-data files, by location (the others are unchanged). */
  readonly externalData: ReadonlyMap<string, Uint8Array>;
  /** Names of the initializers that changed. */
  readonly patched: readonly string[];
  /** Layers whose module this model does not have (`lora: layer`), when some of a LoRA's layers matched. */
  readonly unmatched: readonly string[];
}

/** Options of patchOnnxWithLoras. */
export interface OnnxLoraPatchOptions {
  /** Reads an external-data file of the model by its `location` (needed only for models that have them). */
  readonly readExternal?: (location: string) => Promise<Uint8Array>;
}

const TEXT_MODEL = "text_model";

/** The model's weight for a LoRA layer, or undefined. */
export function findLayerModule(
  index: OnnxWeightIndex,
  layer: Pick<LoraLayerKeys, "module" | "flat">,
): OnnxModuleWeight | undefined {
  const find = layer.flat ? index.findFlat : index.find;
  const sep = layer.flat ? "_" : ".";
  const direct = find(layer.module);
  if (direct !== undefined) return direct;
  // CLIP LoRAs name modules from CLIPTextModel (`text_model.encoder…`); an export may root at text_model itself.
  if (layer.module.startsWith(TEXT_MODEL + sep)) return find(layer.module.slice(TEXT_MODEL.length + 1));
  const diffusers = ldmUnetModuleToDiffusers(layer.module, sep);
  return diffusers === undefined ? undefined : find(diffusers);
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

async function floatsOf(dict: LoraStateDict, key: string): Promise<Tensor<"float32">> {
  return toFloat32(await dict.get(key));
}

/** Adds one layer's delta into `values` (the initializer's values in file layout). */
async function applyLayer(
  values: Float32Array,
  weight: OnnxModuleWeight,
  layer: LoraLayerKeys,
  lora: WeightedLora,
  layerName: string,
): Promise<void> {
  const out = weight.torchShape[0]!;
  const inner = product(weight.torchShape.slice(1));
  const at =
    weight.layout === "torch" ? (o: number, j: number) => o * inner + j : (o: number, j: number) => j * out + o;
  const mismatch = (got: string) =>
    new LoraPatchError(
      `LoRA ${lora.name}`,
      `layer ${layerName} has shape ${got} but ${weight.module} is [${weight.torchShape.join(", ")}]`,
      { layer: layerName, module: weight.module },
    );
  if (layer.diff !== undefined) {
    const diff = await floatsOf(lora.stateDict, layer.diff);
    if (diff.data.length !== out * inner) throw mismatch(`[${diff.shape.join(", ")}]`);
    for (let o = 0; o < out; o++)
      for (let j = 0; j < inner; j++) values[at(o, j)] = values[at(o, j)]! + lora.weight * diff.data[o * inner + j]!;
    return;
  }
  const down = await floatsOf(lora.stateDict, layer.down!);
  const up = await floatsOf(lora.stateDict, layer.up!);
  const rank = down.shape[0] ?? 0;
  const upOut = up.shape[0] ?? 0;
  if (rank === 0 || upOut !== out || up.data.length !== out * rank || down.data.length !== rank * inner)
    throw mismatch(`up [${up.shape.join(", ")}] · down [${down.shape.join(", ")}]`);
  const alpha = layer.alpha === undefined ? rank : (await floatsOf(lora.stateDict, layer.alpha)).data[0]!;
  const scale = (lora.weight * alpha) / rank;
  const u = up.data;
  const d = down.data;
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < inner; j++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += u[o * rank + r]! * d[r * inner + j]!;
      const i = at(o, j);
      values[i] = values[i]! + scale * sum;
    }
  }
}

/** Merges `loras` (their layers for `target`) into a copy of `model`'s weights; the model itself is not changed. */
export async function patchOnnxWithLoras(
  model: OnnxModelFile,
  loras: readonly WeightedLora[],
  target: LoraPatchTarget,
  options: OnnxLoraPatchOptions = {},
): Promise<OnnxLoraPatch> {
  const index = indexOnnxWeights(model);
  const external = new Map<string, Uint8Array>();
  const externalBytes = async (location: string): Promise<Uint8Array> => {
    let bytes = external.get(location);
    if (bytes === undefined) {
      if (options.readExternal === undefined)
        throw new LoraPatchError(
          `LoRAs to ${model.source}`,
          `its weights are in external data (${location}) that was not given`,
        );
      // A copy: the patched values are written into it.
      bytes = new Uint8Array(await options.readExternal(location));
      external.set(location, bytes);
    }
    return bytes;
  };
  const current = new Map<OnnxInitializer, Float32Array>();
  const valuesOf = async (init: OnnxInitializer): Promise<Float32Array> => {
    let values = current.get(init);
    if (values === undefined) {
      const ext = init.data.kind === "external" ? await externalBytes(init.data.location) : undefined;
      values = readInitializerFloats(model, init, ext);
      current.set(init, values);
    }
    return values;
  };
  const unmatched: string[] = [];
  for (const lora of loras) {
    const layers = loraLayersFor(lora.stateDict.keys(), target);
    let matched = 0;
    const missing: string[] = [];
    for (const [name, layer] of layers) {
      checkLayer(name, layer, lora.name);
      const weight = findLayerModule(index, layer);
      if (weight === undefined) {
        missing.push(name);
        continue;
      }
      matched++;
      await applyLayer(await valuesOf(weight.initializer), weight, layer, lora, name);
    }
    if (layers.size > 0 && matched === 0) {
      throw new LoraPatchError(
        `LoRA ${lora.name} to the ${target} ${model.source}`,
        `none of its ${layers.size} ${target} layers names a weight of this model (first: ${missing[0]})`,
        { target, layers: missing.slice(0, 20) },
      );
    }
    unmatched.push(...missing.map((m) => `${lora.name}: ${m}`));
  }
  const bytes = new Uint8Array(model.bytes);
  for (const [init, values] of current) {
    const targetBytes = init.data.kind === "external" ? await externalBytes(init.data.location) : bytes;
    writeInitializerFloats(model, init, values, targetBytes);
  }
  return { bytes, externalData: external, patched: [...current.keys()].map((i) => i.name), unmatched };
}
