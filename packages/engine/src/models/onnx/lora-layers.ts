import type { LoraPatchTarget } from "@atelier/core";
import { LoraPatchError } from "./onnx-errors.js";

// LoRA files name their layers in several styles; this module groups a state dict's keys into layers and says
// which part of a pipeline each layer patches, leaving the module path in the file's own spelling:
//   kohya:           lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight / .lora_up.weight / .alpha
//                    (lora_te_ / lora_te1_ = text encoder, lora_te2_ = second text encoder)
//   diffusers/PEFT:  unet.down_blocks.0.attentions.0.proj_in.lora_A.weight / .lora_B.weight (or .lora.down/.up)
//                    text_encoder.…, text_encoder_2.…, transformer.…
//   old diffusers:   unet.….attn1.processor.to_q_lora.down.weight

/** One LoRA layer: the tensor names that make it up. */
export interface LoraLayerKeys {
  /** The module path as the file spells it after the target prefix (flattened with `_` when `flat`). */
  readonly module: string;
  /** kohya's names replace every `.` of the module path with `_`. */
  readonly flat: boolean;
  down?: string;
  up?: string;
  alpha?: string;
  /** A full weight difference (`.diff`) instead of down/up. */
  diff?: string;
  /** What this layer holds that cannot be merged (LoHA, LoKr, DoRA, Tucker mid), if anything. */
  unsupported?: string;
}

const KOHYA_PREFIXES: Record<LoraPatchTarget, readonly string[]> = {
  unet: ["lora_unet_"],
  text_encoder: ["lora_te_", "lora_te1_"],
  text_encoder_2: ["lora_te2_"],
  transformer: ["lora_transformer_"],
  t5_encoder: ["lora_te2_"],
};
const DOTTED_PREFIXES: Record<LoraPatchTarget, readonly string[]> = {
  unet: ["unet."],
  text_encoder: ["text_encoder.", "te1."],
  text_encoder_2: ["text_encoder_2.", "te2."],
  transformer: ["transformer."],
  t5_encoder: ["text_encoder_2.", "t5."],
};

type Role = "down" | "up" | "alpha" | "diff" | "unsupported";

// Suffix → role; the first that matches wins, so longer suffixes come first.
const SUFFIXES: readonly (readonly [string, Role, string?])[] = [
  [".lora_linear_layer.down.weight", "down"],
  [".lora_linear_layer.up.weight", "up"],
  [".lora_down.weight", "down"],
  [".lora_up.weight", "up"],
  [".lora.down.weight", "down"],
  [".lora.up.weight", "up"],
  [".lora_A.weight", "down"],
  [".lora_B.weight", "up"],
  [".lora_mid.weight", "unsupported", "a Tucker (lora_mid) layer"],
  [".alpha", "alpha"],
  [".diff", "diff"],
  [".diff_b", "unsupported", "a bias difference (diff_b)"],
  [".dora_scale", "unsupported", "a DoRA layer"],
  [".hada_w1_a", "unsupported", "a LoHA layer"],
  [".hada_w1_b", "unsupported", "a LoHA layer"],
  [".hada_w2_a", "unsupported", "a LoHA layer"],
  [".hada_w2_b", "unsupported", "a LoHA layer"],
  [".lokr_w1", "unsupported", "a LoKr layer"],
  [".lokr_w2", "unsupported", "a LoKr layer"],
  [".lokr_w1_a", "unsupported", "a LoKr layer"],
  [".lokr_w1_b", "unsupported", "a LoKr layer"],
  [".lokr_w2_a", "unsupported", "a LoKr layer"],
  [".lokr_w2_b", "unsupported", "a LoKr layer"],
];

const OLD_PROCESSOR = /^(.*)\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$/;

/** Splits a key into its layer name and role, or undefined for keys that are not part of a layer. */
function splitKey(key: string): { layer: string; role: Role; what?: string } | undefined {
  const old = OLD_PROCESSOR.exec(key);
  if (old !== null) {
    const projection = old[2] === "to_out" ? "to_out.0" : old[2]!;
    return { layer: `${old[1]!}.${projection}`, role: old[3] as "down" | "up" };
  }
  for (const [suffix, role, what] of SUFFIXES) {
    if (key.endsWith(suffix)) return { layer: key.slice(0, -suffix.length), role, what };
  }
  return undefined;
}

/** The layer's module path for `target` (prefix removed), or undefined when the layer belongs to another part. */
function forTarget(layer: string, target: LoraPatchTarget): { module: string; flat: boolean } | undefined {
  for (const prefix of KOHYA_PREFIXES[target]) {
    if (layer.startsWith(prefix)) return { module: layer.slice(prefix.length), flat: true };
  }
  for (const prefix of DOTTED_PREFIXES[target]) {
    if (layer.startsWith(prefix)) return { module: layer.slice(prefix.length), flat: false };
  }
  return undefined;
}

/** The LoRA layers of a state dict that patch `target`, keyed by layer name. */
export function loraLayersFor(keys: readonly string[], target: LoraPatchTarget): Map<string, LoraLayerKeys> {
  const layers = new Map<string, LoraLayerKeys>();
  for (const key of keys) {
    const split = splitKey(key);
    if (split === undefined) continue;
    const place = forTarget(split.layer, target);
    if (place === undefined) continue;
    let layer = layers.get(split.layer);
    if (layer === undefined) {
      layer = { module: place.module, flat: place.flat };
      layers.set(split.layer, layer);
    }
    if (split.role === "unsupported") layer.unsupported = split.what;
    else layer[split.role] = key;
  }
  return layers;
}

/** Checks a layer holds something mergeable; names the LoRA and layer otherwise. */
export function checkLayer(layerName: string, layer: LoraLayerKeys, lora: string): void {
  if (layer.unsupported !== undefined)
    throw new LoraPatchError(
      `LoRA ${lora}`,
      `layer ${layerName} is ${layer.unsupported}, which cannot be merged into ONNX weights yet`,
      {
        layer: layerName,
      },
    );
  if (layer.diff === undefined && (layer.down === undefined || layer.up === undefined))
    throw new LoraPatchError(
      `LoRA ${lora}`,
      `layer ${layerName} has ${layer.down === undefined ? "no down" : "no up"} matrix`,
      {
        layer: layerName,
      },
    );
}
