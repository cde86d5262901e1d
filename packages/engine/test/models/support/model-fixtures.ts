// Generates model files for identification tests: real tensor names and shapes in a valid safetensors header, with
// the data section left as zeros (a sparse file: `truncate` extends it without writing). Identification reads only
// headers and JSON configs, so these are what it sees in a real model; they cost almost no disk.
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** A tensor header entry: dtype as safetensors names it, and the shape. */
export type TensorSpec = readonly [dtype: string, shape: readonly number[]];

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F8_E4M3: 1 };

/** Writes a safetensors file whose tensors are all zero (sparse); returns its path. */
export async function writeZeroSafetensors(
  path: string,
  tensors: Record<string, TensorSpec>,
  metadata?: Record<string, string>,
): Promise<string> {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, [dtype, shape]] of Object.entries(tensors)) {
    const size = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + headerLength, 0x20);
  head.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(head, 8);
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "w");
  try {
    await handle.write(head, 0, head.length, 0);
    await handle.truncate(head.length + offset);
  } finally {
    await handle.close();
  }
  return path;
}

/** Writes JSON files into a folder (paths relative to it); returns the folder. */
export async function writeJsonFiles(folder: string, files: Record<string, unknown>): Promise<string> {
  for (const [path, json] of Object.entries(files)) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), JSON.stringify(json, null, 2));
  }
  return folder;
}

const UNET = "model.diffusion_model.";

/** SD 1.x / 2.x checkpoint (LDM layout): `width` 768 → sd-1, 1024 → sd-2; `inChannels` 4/5/9. */
export function sdCheckpointKeys(width: 768 | 1024 | number, inChannels = 4): Record<string, TensorSpec> {
  const sd2 = width === 1024;
  return {
    [`${UNET}input_blocks.0.0.weight`]: ["F16", [320, inChannels, 3, 3]],
    [`${UNET}input_blocks.0.0.bias`]: ["F16", [320]],
    [`${UNET}input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight`]: ["F16", [320, width]],
    [`${UNET}input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight`]: ["F16", [320, width]],
    [`${UNET}out.2.weight`]: ["F16", [4, 320, 3, 3]],
    "first_stage_model.decoder.conv_in.weight": ["F16", [512, 4, 3, 3]],
    "first_stage_model.encoder.conv_in.weight": ["F16", [128, 3, 3, 3]],
    [sd2
      ? "cond_stage_model.model.ln_final.weight"
      : "cond_stage_model.transformer.text_model.final_layer_norm.weight"]: ["F16", [width]],
  };
}

/** SDXL base checkpoint: cross-attention 2048 in `input_blocks.4.1`, two text encoders. */
export function sdxlCheckpointKeys(inChannels = 4): Record<string, TensorSpec> {
  return {
    [`${UNET}input_blocks.0.0.weight`]: ["F16", [320, inChannels, 3, 3]],
    [`${UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight`]: ["F16", [640, 2048]],
    [`${UNET}input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight`]: ["F16", [640, 2048]],
    "first_stage_model.decoder.conv_in.weight": ["F16", [512, 4, 3, 3]],
    "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight": ["F16", [768]],
    "conditioner.embedders.1.model.ln_final.weight": ["F16", [1280]],
  };
}

/** SDXL refiner checkpoint: cross-attention 1280, one OpenCLIP text encoder. */
export function sdxlRefinerCheckpointKeys(): Record<string, TensorSpec> {
  return {
    [`${UNET}input_blocks.0.0.weight`]: ["F16", [384, 4, 3, 3]],
    [`${UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight`]: ["F16", [768, 1280]],
    "first_stage_model.decoder.conv_in.weight": ["F16", [512, 4, 3, 3]],
    "conditioner.embedders.0.model.ln_final.weight": ["F16", [1280]],
  };
}

/** FLUX.1 transformer in BFL's layout: `imgIn` 64 (dev/schnell) or 384 (fill); `guidance` makes it dev. */
export function fluxCheckpointKeys(
  options: { imgIn?: number; guidance?: boolean; prefix?: string } = {},
): Record<string, TensorSpec> {
  const p = options.prefix ?? "";
  const keys: Record<string, TensorSpec> = {
    [`${p}img_in.weight`]: ["BF16", [3072, options.imgIn ?? 64]],
    [`${p}txt_in.weight`]: ["BF16", [3072, 4096]],
    [`${p}double_blocks.0.img_attn.norm.key_norm.scale`]: ["BF16", [128]],
    [`${p}double_blocks.0.img_attn.qkv.weight`]: ["BF16", [9216, 3072]],
    [`${p}single_blocks.0.linear1.weight`]: ["BF16", [21504, 3072]],
  };
  if (options.guidance ?? true) keys[`${p}guidance_in.in_layer.weight`] = ["BF16", [3072, 256]];
  return keys;
}

/** FLUX.2 transformer: `img_in` takes 128 features; `context` is the text width (7680 Klein 4B, 12288 Klein 9B, 15360 dev). */
export function flux2CheckpointKeys(context: number): Record<string, TensorSpec> {
  return {
    "img_in.weight": ["BF16", [3072, 128]],
    "txt_in.weight": ["BF16", [3072, context]],
    "double_blocks.0.img_attn.norm.key_norm.scale": ["BF16", [128]],
  };
}

/** A VAE: decoder input channels 4 (SD), 16 (FLUX) or 32 (FLUX.2). */
export function vaeKeys(latent: number): Record<string, TensorSpec> {
  return {
    "encoder.conv_in.weight": ["F32", [128, 3, 3, 3]],
    "encoder.conv_out.weight": ["F32", [latent * 2, 512, 3, 3]],
    "decoder.conv_in.weight": ["F32", [512, latent, 3, 3]],
    "decoder.conv_out.weight": ["F32", [3, 128, 3, 3]],
  };
}

/** kohya LoRA for SD 1/2 (`width` 768 / 1024), with text encoder layers. */
export function kohyaLoraKeys(width: number, rank = 8): Record<string, TensorSpec> {
  const unet = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k";
  const te = "lora_te_text_model_encoder_layers_0_self_attn_k_proj";
  return {
    [`${unet}.lora_down.weight`]: ["F16", [rank, width]],
    [`${unet}.lora_up.weight`]: ["F16", [320, rank]],
    [`${unet}.alpha`]: ["F16", []],
    [`${te}.lora_down.weight`]: ["F16", [rank, width]],
    [`${te}.lora_up.weight`]: ["F16", [width, rank]],
  };
}

/** kohya LoRA for SDXL (two text encoders). */
export function kohyaSdxlLoraKeys(): Record<string, TensorSpec> {
  const unet = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k";
  return {
    [`${unet}.lora_down.weight`]: ["F16", [8, 2048]],
    [`${unet}.lora_up.weight`]: ["F16", [640, 8]],
    "lora_te1_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight": ["F16", [8, 768]],
    "lora_te2_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight": ["F16", [8, 1280]],
  };
}

/** LyCORIS LoHa (hadamard) for SD 1. */
export function lohaKeys(width: number): Record<string, TensorSpec> {
  const k = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k";
  return {
    [`${k}.hada_w1_a`]: ["F16", [320, 4]],
    [`${k}.hada_w1_b`]: ["F16", [4, width]],
    [`${k}.hada_w2_a`]: ["F16", [320, 4]],
    [`${k}.hada_w2_b`]: ["F16", [4, width]],
    [`${k}.alpha`]: ["F16", []],
  };
}

/** diffusers (old attention-processor) LoRA. */
export function diffusersLoraKeys(width: number): Record<string, TensorSpec> {
  const k = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor";
  return {
    [`${k}.to_k_lora.down.weight`]: ["F32", [4, width]],
    [`${k}.to_k_lora.up.weight`]: ["F32", [320, 4]],
    [`${k}.to_q_lora.down.weight`]: ["F32", [4, 320]],
  };
}

/** PEFT LoRA (`lora_A` / `lora_B`). */
export function peftLoraKeys(width: number): Record<string, TensorSpec> {
  const k = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k";
  return {
    [`${k}.lora_A.weight`]: ["F16", [16, width]],
    [`${k}.lora_B.weight`]: ["F16", [640, 16]],
  };
}

/** FLUX LoRA in kohya layout. */
export function fluxKohyaLoraKeys(): Record<string, TensorSpec> {
  return {
    "lora_unet_double_blocks_0_img_attn_proj.lora_down.weight": ["BF16", [16, 3072]],
    "lora_unet_double_blocks_0_img_attn_proj.lora_up.weight": ["BF16", [3072, 16]],
    "lora_unet_single_blocks_0_linear1.lora_down.weight": ["BF16", [16, 3072]],
  };
}

/** Original-layout ControlNet (`control_model.*`). */
export function controlNetKeys(width: number): Record<string, TensorSpec> {
  return {
    "control_model.input_hint_block.0.weight": ["F16", [16, 3, 3, 3]],
    "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ["F16", [320, width]],
    "control_model.zero_convs.0.0.weight": ["F16", [320, 320, 1, 1]],
  };
}

/** T5 encoder (transformers layout). */
export function t5EncoderKeys(): Record<string, TensorSpec> {
  return {
    "shared.weight": ["BF16", [32128, 4096]],
    "encoder.block.0.layer.0.SelfAttention.q.weight": ["BF16", [4096, 4096]],
    "encoder.final_layer_norm.weight": ["BF16", [4096]],
  };
}

/** CLIP text encoder (transformers layout), `hidden` 768 (L) or 1280 (G). */
export function clipTextKeys(hidden: number): Record<string, TensorSpec> {
  return {
    "text_model.embeddings.token_embedding.weight": ["F16", [49408, hidden]],
    "text_model.embeddings.position_embedding.weight": ["F16", [77, hidden]],
    "text_model.encoder.layers.0.self_attn.k_proj.weight": ["F16", [hidden, hidden]],
    "text_model.final_layer_norm.weight": ["F16", [hidden]],
  };
}

/** IP-Adapter (InvokeAI's single-file layout). */
export function ipAdapterKeys(width: number): Record<string, TensorSpec> {
  return {
    "image_proj.proj.weight": ["F16", [3072, 1024]],
    "ip_adapter.1.to_k_ip.weight": ["F16", [320, width]],
    "ip_adapter.1.to_v_ip.weight": ["F16", [320, width]],
  };
}

/** A diffusers pipeline folder's configs (no weights: identification reads only JSON). */
export function diffusersPipelineConfigs(options: {
  className: string;
  crossAttentionDim?: number;
  inChannels?: number;
  prediction?: string;
  textEncoders?: readonly string[];
}): Record<string, unknown> {
  const encoders = options.textEncoders ?? ["text_encoder"];
  const index: Record<string, unknown> = {
    _class_name: options.className,
    _diffusers_version: "0.30.0",
    unet: ["diffusers", "UNet2DConditionModel"],
    vae: ["diffusers", "AutoencoderKL"],
    scheduler: ["diffusers", "EulerDiscreteScheduler"],
    safety_checker: [null, null],
  };
  for (const e of ["text_encoder", "text_encoder_2"])
    index[e] = encoders.includes(e) ? ["transformers", "CLIPTextModel"] : [null, null];
  return {
    "model_index.json": index,
    "unet/config.json": {
      _class_name: "UNet2DConditionModel",
      cross_attention_dim: options.crossAttentionDim ?? 768,
      in_channels: options.inChannels ?? 4,
    },
    "scheduler/scheduler_config.json": {
      _class_name: "EulerDiscreteScheduler",
      ...(options.prediction === undefined ? {} : { prediction_type: options.prediction }),
    },
    "vae/config.json": { _class_name: "AutoencoderKL", latent_channels: 4 },
    ...Object.fromEntries(
      encoders.map((e) => [
        `${e}/config.json`,
        { architectures: ["CLIPTextModel"], hidden_size: 768, hidden_act: "quick_gelu" },
      ]),
    ),
  };
}
