// Writes GGUF files for identification tests: a real header (magic, version 3, metadata, tensor infos with ggml
// types and aligned offsets) followed by a sparse, all-zero data section sized as the quantized tensors would be.
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

/** A tensor for the writer: ggml type id and the PyTorch-order shape (written reversed, as ggml stores dims). */
export type GgufTensorSpec = readonly [ggmlType: number, shape: readonly number[]];

/** ggml type ids used by the fixtures. */
export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, BF16: 30 } as const;

// Bytes per block and elements per block of each type (ggml's type traits).
const BLOCKS: Record<number, readonly [bytes: number, elements: number]> = {
  0: [4, 1],
  1: [2, 1],
  2: [18, 32],
  8: [34, 32],
  12: [144, 256],
  30: [2, 1],
};

type MetaValue = string | number | boolean | readonly string[];

function ggufString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([length, bytes]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

function u64(value: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

function metaValue(value: MetaValue): Buffer {
  if (typeof value === "string") return Buffer.concat([u32(8), ggufString(value)]);
  if (typeof value === "boolean") return Buffer.concat([u32(7), Buffer.from([value ? 1 : 0])]);
  if (typeof value === "number") return Buffer.concat([u32(4), u32(value)]);
  return Buffer.concat([u32(9), u32(8), u64(value.length), ...value.map(ggufString)]);
}

/** The GGUF header bytes (before alignment padding) for these tensors and metadata. */
export function ggufHeaderBytes(
  tensors: Record<string, GgufTensorSpec>,
  metadata: Record<string, MetaValue> = {},
  alignment = 32,
): { header: Buffer; dataBytes: number } {
  const parts: Buffer[] = [Buffer.from("GGUF", "latin1"), u32(3)];
  const entries = Object.entries(tensors);
  parts.push(u64(entries.length), u64(Object.keys(metadata).length));
  for (const [key, value] of Object.entries(metadata)) parts.push(ggufString(key), metaValue(value));
  let offset = 0;
  for (const [name, [type, shape]] of entries) {
    const dims = [...shape].reverse();
    parts.push(ggufString(name), u32(dims.length), ...dims.map((d) => u64(d)), u32(type), u64(offset));
    const [blockBytes, blockElements] = BLOCKS[type];
    const elements = shape.reduce((a, b) => a * b, 1);
    offset += Math.ceil((Math.ceil(elements / blockElements) * blockBytes) / alignment) * alignment;
  }
  return { header: Buffer.concat(parts), dataBytes: offset };
}

/** Writes a GGUF file with zeroed (sparse) tensor data; returns its path. */
export async function writeZeroGguf(
  path: string,
  tensors: Record<string, GgufTensorSpec>,
  metadata: Record<string, MetaValue> = {},
): Promise<string> {
  const { header, dataBytes } = ggufHeaderBytes(tensors, metadata);
  const dataStart = Math.ceil(header.length / 32) * 32;
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "w");
  try {
    await handle.write(header, 0, header.length, 0);
    await handle.truncate(dataStart + dataBytes);
  } finally {
    await handle.close();
  }
  return path;
}

/** A FLUX.1 transformer as city96's GGUF conversions name it (BFL layout, quantized blocks, F32 norms). */
export function fluxGgufTensors(options: { imgIn?: number; guidance?: boolean } = {}): Record<string, GgufTensorSpec> {
  const tensors: Record<string, GgufTensorSpec> = {
    "img_in.weight": [GGML.F16, [3072, options.imgIn ?? 64]],
    "img_in.bias": [GGML.F32, [3072]],
    "txt_in.weight": [GGML.Q8_0, [3072, 4096]],
    "double_blocks.0.img_attn.norm.key_norm.scale": [GGML.F32, [128]],
    "double_blocks.0.img_attn.qkv.weight": [GGML.Q4_K, [9216, 3072]],
    "single_blocks.0.linear1.weight": [GGML.Q4_K, [21504, 3072]],
  };
  if (options.guidance ?? true) tensors["guidance_in.in_layer.weight"] = [GGML.F16, [3072, 256]];
  return tensors;
}
