import type { FileHandle } from "node:fs/promises";

// GGUF (llama.cpp / ggml's file format), header only: magic "GGUF", version, tensor count, metadata key/values,
// then one info record per tensor (name, dims, ggml type, data offset). The tensor data after it is never read.
// All integers are little-endian; counts and lengths are uint64 from version 2 on (uint32 in version 1).

/** The GGUF magic, "GGUF" as bytes. */
export const GGUF_MAGIC = "GGUF";

/** ggml tensor types by id (ggml.h `enum ggml_type`), as gguf-py names them. */
export const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  6: "Q5_0",
  7: "Q5_1",
  8: "Q8_0",
  9: "Q8_1",
  10: "Q2_K",
  11: "Q3_K",
  12: "Q4_K",
  13: "Q5_K",
  14: "Q6_K",
  15: "Q8_K",
  16: "IQ2_XXS",
  17: "IQ2_XS",
  18: "IQ3_XXS",
  19: "IQ1_S",
  20: "IQ4_NL",
  21: "IQ3_S",
  22: "IQ2_S",
  23: "IQ4_XS",
  24: "I8",
  25: "I16",
  26: "I32",
  27: "I64",
  28: "F64",
  29: "IQ1_M",
  30: "BF16",
  34: "TQ1_0",
  35: "TQ2_0",
};

/** One tensor as the GGUF header describes it. */
export interface GgufTensorInfo {
  readonly name: string;
  /** The dims as stored: ggml order, fastest-varying first (the reverse of PyTorch's shape). */
  readonly dims: readonly number[];
  /** PyTorch-order shape (`dims` reversed), as InvokeAI's GGUF loader reports it. */
  readonly shape: readonly number[];
  /** ggml type name (`Q4_K`, `F16`…), or `type_<id>` for an id this reader does not know. */
  readonly type: string;
  /** Offset of the tensor's data from the start of the data section. */
  readonly offset: number;
}

/** A metadata value: scalars as they are; arrays of up to 16 items as they are, longer ones by length. */
export type GgufValue = number | bigint | boolean | string | readonly GgufValue[] | { readonly arrayLength: number };

/** What a GGUF file's header says. */
export interface GgufHeader {
  readonly version: number;
  readonly tensorCount: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  /** Byte length of the header (magic through tensor infos, before alignment padding). */
  readonly headerBytes: number;
  /** Data section alignment (`general.alignment`, default 32). */
  readonly alignment: number;
}

/** The file is not a readable GGUF header; the message says what and at which byte. */
export class GgufFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GgufFormatError";
  }
}

// Limits that a real model never reaches but that stop a corrupt count from allocating without end.
const MAX_TENSORS = 1_000_000;
const MAX_KV = 1_000_000;
const MAX_STRING = 16 * 1024 * 1024;
const MAX_DIMS = 8;
const MAX_ARRAY = 64 * 1024 * 1024;
const SMALL_ARRAY = 16;

/** Reads forward through a file in chunks, so that only the header's bytes are ever read. */
class ChunkedReader {
  readonly #handle: FileHandle;
  readonly #size: number;
  #buffer = Buffer.alloc(0);
  #bufferStart = 0;
  #pos = 0;
  bytesRead = 0;

  constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.#size = size;
  }

  get position(): number {
    return this.#pos;
  }

  async #ensure(length: number, what: string): Promise<Buffer> {
    if (this.#pos + length > this.#size) {
      throw new GgufFormatError(
        `${what} at byte ${this.#pos} needs ${length} bytes but the file ends at byte ${this.#size}`,
      );
    }
    const end = this.#bufferStart + this.#buffer.length;
    if (this.#pos < this.#bufferStart || this.#pos + length > end) {
      const chunk = Math.min(Math.max(length, 1 << 16), this.#size - this.#pos);
      const buffer = Buffer.alloc(chunk);
      const { bytesRead } = await this.#handle.read(buffer, 0, chunk, this.#pos);
      this.bytesRead += bytesRead;
      this.#buffer = buffer.subarray(0, bytesRead);
      this.#bufferStart = this.#pos;
      if (bytesRead < length) throw new GgufFormatError(`${what} at byte ${this.#pos}: short read`);
    }
    const offset = this.#pos - this.#bufferStart;
    this.#pos += length;
    return this.#buffer.subarray(offset, offset + length);
  }

  async u8(what: string): Promise<number> {
    return (await this.#ensure(1, what)).readUInt8(0);
  }
  async u32(what: string): Promise<number> {
    return (await this.#ensure(4, what)).readUInt32LE(0);
  }
  async u64(what: string): Promise<bigint> {
    return (await this.#ensure(8, what)).readBigUInt64LE(0);
  }
  async bytes(length: number, what: string): Promise<Buffer> {
    return this.#ensure(length, what);
  }
  async skip(length: number, what: string): Promise<void> {
    if (this.#pos + length > this.#size) {
      throw new GgufFormatError(`${what} at byte ${this.#pos} runs past the end of the file (byte ${this.#size})`);
    }
    this.#pos += length;
  }
}

function toCount(value: bigint, limit: number, what: string): number {
  if (value > BigInt(limit)) throw new GgufFormatError(`${what} ${value} is larger than ${limit}`);
  return Number(value);
}

// Value type ids of GGUF metadata (gguf.h `enum gguf_type`) and the byte width of the fixed-size ones.
const FIXED_WIDTH: Readonly<Record<number, number>> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const STRING_TYPE = 8;
const ARRAY_TYPE = 9;

/** Reads the GGUF header of an open file (never its tensor data). Throws GgufFormatError on a corrupt header. */
export async function readGgufHeader(
  handle: FileHandle,
  fileSize: number,
): Promise<GgufHeader & { bytesRead: number }> {
  const r = new ChunkedReader(handle, fileSize);
  const magic = (await r.bytes(4, "magic")).toString("latin1");
  if (magic !== GGUF_MAGIC) throw new GgufFormatError(`magic is ${JSON.stringify(magic)}, not "GGUF"`);
  const version = await r.u32("version");
  if (version < 1 || version > 3) throw new GgufFormatError(`version ${version} is not 1, 2 or 3`);
  const count = async (limit: number, what: string) =>
    version === 1 ? toCount(BigInt(await r.u32(what)), limit, what) : toCount(await r.u64(what), limit, what);

  const readString = async (what: string): Promise<string> => {
    const length = await count(MAX_STRING, `${what} length`);
    return (await r.bytes(length, what)).toString("utf8");
  };

  const readScalar = async (type: number, what: string): Promise<GgufValue> => {
    const width = FIXED_WIDTH[type];
    if (type === STRING_TYPE) return readString(what);
    if (width === undefined) throw new GgufFormatError(`${what} has unknown value type ${type}`);
    const b = await r.bytes(width, what);
    switch (type) {
      case 0:
        return b.readUInt8(0);
      case 1:
        return b.readInt8(0);
      case 2:
        return b.readUInt16LE(0);
      case 3:
        return b.readInt16LE(0);
      case 4:
        return b.readUInt32LE(0);
      case 5:
        return b.readInt32LE(0);
      case 6:
        return b.readFloatLE(0);
      case 7:
        return b.readUInt8(0) !== 0;
      case 10:
        return b.readBigUInt64LE(0);
      case 11:
        return b.readBigInt64LE(0);
      default:
        return b.readDoubleLE(0);
    }
  };

  const readValue = async (type: number, what: string, depth = 0): Promise<GgufValue> => {
    if (type !== ARRAY_TYPE) return readScalar(type, what);
    if (depth > 4) throw new GgufFormatError(`${what} nests arrays too deeply`);
    const itemType = await r.u32(`${what} item type`);
    const length = await count(MAX_ARRAY, `${what} array length`);
    // Long arrays (tokenizer vocabularies) are skipped when their items have a fixed width, else walked.
    if (length > SMALL_ARRAY) {
      const width = FIXED_WIDTH[itemType];
      if (width !== undefined) await r.skip(width * length, what);
      else for (let i = 0; i < length; i++) await readValue(itemType, `${what}[${i}]`, depth + 1);
      return { arrayLength: length };
    }
    const items: GgufValue[] = [];
    for (let i = 0; i < length; i++) items.push(await readValue(itemType, `${what}[${i}]`, depth + 1));
    return items;
  };

  const tensorCount = await count(MAX_TENSORS, "tensor count");
  const kvCount = await count(MAX_KV, "metadata count");
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = await readString(`metadata key ${i}`);
    const type = await r.u32(`type of metadata ${key}`);
    metadata.set(key, await readValue(type, `metadata ${key}`));
  }

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await readString(`tensor ${i} name`);
    const nDims = await r.u32(`tensor ${name} dim count`);
    if (nDims > MAX_DIMS) throw new GgufFormatError(`tensor ${name} has ${nDims} dims (at most ${MAX_DIMS})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      dims.push(
        version === 1
          ? await r.u32(`tensor ${name} dim ${d}`)
          : toCount(await r.u64(`tensor ${name} dim ${d}`), Number.MAX_SAFE_INTEGER, `tensor ${name} dim ${d}`),
      );
    }
    const typeId = await r.u32(`tensor ${name} type`);
    const offset = toCount(await r.u64(`tensor ${name} offset`), Number.MAX_SAFE_INTEGER, `tensor ${name} offset`);
    if (offset >= fileSize)
      throw new GgufFormatError(`tensor ${name} data offset ${offset} lies beyond the file size ${fileSize}`);
    tensors.push({
      name,
      dims,
      shape: [...dims].reverse(),
      type: GGML_TYPE_NAMES[typeId] ?? `type_${typeId}`,
      offset,
    });
  }
  const alignmentValue = metadata.get("general.alignment");
  const alignment = typeof alignmentValue === "number" && alignmentValue > 0 ? alignmentValue : 32;
  return { version, tensorCount, metadata, tensors, headerBytes: r.position, alignment, bytesRead: r.bytesRead };
}
