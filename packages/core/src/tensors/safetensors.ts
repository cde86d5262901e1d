/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON (padded with spaces so the data
 * starts 8-byte aligned), then the raw little-endian tensor bytes. Offsets in the header are relative to the
 * data start. This assumes a little-endian host, which every platform Node.js ships for is.
 */
import type { DType, Tensor, TensorDataMap } from "../tensor.js";
import { DTYPE_BYTES, tensorSize } from "./tensor-helpers.js";
import { SafetensorsError, TensorError } from "./tensor-errors.js";

// Node's uninitialised allocation skips zero-filling (and the page faults of fresh zeroed memory), which is most of
// the cost of a large encode or copy. Only used where every byte is written right after; plain Uint8Array elsewhere.
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** A fresh, unshared byte array whose contents are unspecified: callers overwrite every byte. */
function allocBytes(size: number): Uint8Array {
  if (nodeBuffer === undefined) return new Uint8Array(size);
  const b = nodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One tensor's entry in a safetensors header. `dtype` is the file's own name (`F32`, `BF16`, `F8_E4M3`…). */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** `[begin, end)` byte offsets relative to the start of the data section (`8 + headerLength`). */
  readonly dataOffsets: readonly [number, number];
}

/** What the first `8 + headerLength` bytes of a safetensors file say. */
export interface SafetensorsHeader {
  /** N: the JSON header's byte length; tensor data starts at byte `8 + headerLength`. */
  readonly headerLength: number;
  /** Entries in header order. */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Record<string, string>;
}

/** Options for `readSafetensorsHeader`. */
export interface ReadHeaderOptions {
  /** Size of the whole file; when given, every entry's data must lie inside it. */
  readonly fileSize?: number;
}

/** Options for `decodeSafetensors`. */
export interface DecodeOptions {
  /**
   * `true` (default): each tensor gets its own buffer (one copy). `false`: tensors whose bytes are aligned are views
   * into `bytes` (zero copy; the caller must not reuse `bytes`), the others are copied.
   */
  readonly copy?: boolean;
}

/** The header length Python's safetensors also refuses to go beyond (100 MB): a guard against garbage lengths. */
export const MAX_SAFETENSORS_HEADER_LENGTH = 100_000_000;

/** Bits per element of every dtype the format defines; sub-byte types exist for header reads only. */
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
};

const FILE_DTYPE: Readonly<Record<DType, string>> = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};

const TENSOR_DTYPE: Readonly<Record<string, DType>> = {
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  U8: "uint8",
  BOOL: "bool",
};

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads N, the JSON header length, from the first 8 bytes; use it to know how many bytes the header needs. */
export function readSafetensorsHeaderLength(bytes: Uint8Array): number {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `Safetensors data is truncated: ${bytes.length} bytes, the header length alone needs 8`,
      {
        byteLength: bytes.length,
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_SAFETENSORS_HEADER_LENGTH)) {
    throw new SafetensorsError(
      `Safetensors header length ${length} (bytes 0-7) exceeds the ${MAX_SAFETENSORS_HEADER_LENGTH}-byte limit`,
      { headerLength: length.toString() },
    );
  }
  return Number(length);
}

/** Parses and validates the header; `bytes` needs only the first `8 + N` bytes of the file. */
export function readSafetensorsHeader(bytes: Uint8Array, options: ReadHeaderOptions = {}): SafetensorsHeader {
  const headerLength = readSafetensorsHeaderLength(bytes);
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(
      `Safetensors header length ${headerLength} (bytes 0-7) goes beyond the data: ${bytes.length} bytes, header needs ${8 + headerLength}`,
      { headerLength, byteLength: bytes.length },
    );
  }
  if (options.fileSize !== undefined && 8 + headerLength > options.fileSize) {
    throw new SafetensorsError(
      `Safetensors header length ${headerLength} goes beyond the file size ${options.fileSize}`,
      { headerLength, fileSize: options.fileSize },
    );
  }
  const json = parseHeaderJson(bytes.subarray(8, 8 + headerLength));
  const dataLength = options.fileSize === undefined ? undefined : options.fileSize - 8 - headerLength;

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(raw);
      continue;
    }
    entries.push(parseEntry(name, raw, dataLength));
  }
  checkNoOverlap(entries);
  return { headerLength, entries, metadata };
}

/** Decodes a whole safetensors file; F64 is narrowed to float32, I8/I16/U16 widened to int32, other dtypes refused. */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(bytes, { fileSize: bytes.length });
  const dataStart = bytes.byteOffset + 8 + header.headerLength;
  const copy = options.copy ?? true;
  const tensors: Record<string, Tensor> = {};
  for (const entry of header.entries) {
    const begin = dataStart + entry.dataOffsets[0];
    const byteLength = entry.dataOffsets[1] - entry.dataOffsets[0];
    setOwn(tensors, entry.name, decodeEntry(entry, bytes.buffer as ArrayBuffer, begin, byteLength, copy));
  }
  return { tensors, metadata: header.metadata };
}

/** Where everything goes in a safetensors file for a set of tensors. */
interface SafetensorsLayout {
  /** The first `8 + headerLength` bytes: the length prefix and the space-padded JSON header. */
  readonly head: Uint8Array;
  /** Tensor names in file order (largest element size first, then by name, as Python's safetensors does). */
  readonly names: readonly string[];
  /** Total file size. */
  readonly byteLength: number;
}

function layoutSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): SafetensorsLayout {
  const names = Object.keys(tensors);
  for (const name of names) assertEncodableTensor(name, tensors[name]);
  // Largest elements first keeps every tensor aligned to its element size, since the data start is 8-aligned.
  names.sort((a, b) => {
    const bySize = DTYPE_BYTES[tensors[b].dtype] - DTYPE_BYTES[tensors[a].dtype];
    return bySize !== 0 ? bySize : a < b ? -1 : a > b ? 1 : 0;
  });

  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new SafetensorsError(`Safetensors metadata value for key ${JSON.stringify(key)} must be a string`, {
          key,
          value,
        });
      }
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const end = offset + t.data.byteLength;
    header[name] = { dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }

  const json = utf8Encoder.encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const head = allocBytes(8 + headerLength);
  new DataView(head.buffer, head.byteOffset, 8).setBigUint64(0, BigInt(headerLength), true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.length, 8 + headerLength);
  return { head, names, byteLength: head.byteLength + offset };
}

function bytesOf(data: Tensor["data"]): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The bytes of a safetensors file as parts: the header, then each tensor's data as a view of the tensor's own
 * memory (no copy), sorted by element size, then name, as Python's safetensors lays them out. Write them in order.
 */
export function encodeSafetensorsParts(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const { head, names } = layoutSafetensors(tensors, metadata);
  return [head, ...names.map((name) => bytesOf(tensors[name].data))];
}

/** Encodes tensors with optional metadata into one buffer (the parts of `encodeSafetensorsParts`, joined). */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  return encodeSafetensorsInto(tensors, metadata, allocBytes).bytes;
}

/**
 * Encodes tensors into one buffer from `allocate` (called once with the file size; its contents may be anything)
 * and returns that buffer together with the tensors as views of their data in it: a copy that is also the file.
 * A buffer whose start is not 8-byte aligned gets copies instead of views.
 */
export function encodeSafetensorsInto(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> | undefined,
  allocate: (byteLength: number) => Uint8Array,
): { bytes: Uint8Array; tensors: Record<string, Tensor> } {
  const { head, names, byteLength } = layoutSafetensors(tensors, metadata);
  const bytes = allocate(byteLength);
  if (bytes.byteLength !== byteLength)
    throw new RangeError(`allocate(${byteLength}) returned ${bytes.byteLength} bytes`);
  bytes.set(head);
  const views: Record<string, Tensor> = {};
  let at = head.byteLength;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    bytes.set(bytesOf(data), at);
    const ctor = STORAGE_CTOR[dtype] as TypedArrayCtor<TensorDataMap[DType]>;
    const view = typedView(ctor, bytes.buffer as ArrayBuffer, bytes.byteOffset + at, data.byteLength, false);
    setOwn(views, name, { dtype, shape: [...shape], data: view } as Tensor);
    at += data.byteLength;
  }
  return { bytes, tensors: views };
}

/** Plain assignment would treat a name like "__proto__" from a hostile file as the object's prototype. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8Decoder.decode(headerBytes);
  } catch (cause) {
    throw new SafetensorsError(`Safetensors header (bytes 8-${8 + headerBytes.length}) is not valid UTF-8`, {
      cause: String(cause),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsError(
      `Safetensors header (bytes 8-${8 + headerBytes.length}) is not valid JSON: ${(cause as Error).message}`,
      { header: text.slice(0, 200) },
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SafetensorsError(`Safetensors header (bytes 8-${8 + headerBytes.length}) must be a JSON object`, {
      header: text.slice(0, 200),
    });
  }
  return json as Record<string, unknown>;
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`Safetensors __metadata__ must be an object of strings`, { value: raw });
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== "string") {
      throw new SafetensorsError(`Safetensors __metadata__ value for key ${JSON.stringify(key)} is not a string`, {
        key,
        value,
      });
    }
    setOwn(metadata, key, value);
  }
  return metadata;
}

function parseEntry(name: string, raw: unknown, dataLength: number | undefined): SafetensorsEntry {
  const where = `Safetensors tensor ${JSON.stringify(name)}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`${where}: header entry must be an object`, { tensor: name, value: raw });
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BITS, dtype)) {
    throw new SafetensorsError(`${where}: unknown dtype ${JSON.stringify(dtype)}`, { tensor: name, dtype });
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`, {
      tensor: name,
      shape,
    });
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new SafetensorsError(
      `${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end] with begin ≤ end`,
      {
        tensor: name,
        dataOffsets: offsets,
      },
    );
  }
  const [begin, end] = offsets as [number, number];
  if (dataLength !== undefined && end > dataLength) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] go beyond the ${dataLength} bytes of tensor data`,
      { tensor: name, dataOffsets: [begin, end], dataLength },
    );
  }
  const numel = shape.reduce((a: number, d: number) => a * d, 1);
  const bits = numel * DTYPE_BITS[dtype];
  if (bits % 8 !== 0 || bits / 8 !== end - begin) {
    throw new SafetensorsError(
      `${where}: shape [${shape.join(", ")}] × ${dtype} needs ${bits / 8} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      { tensor: name, dtype, shape, dataOffsets: [begin, end] },
    );
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [begin, end] };
}

function checkNoOverlap(entries: readonly SafetensorsEntry[]): void {
  const sorted = entries.filter((e) => e.dataOffsets[1] > e.dataOffsets[0]);
  sorted.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0]);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new SafetensorsError(
        `Safetensors tensors ${JSON.stringify(prev.name)} [${prev.dataOffsets.join(", ")}] and ${JSON.stringify(cur.name)} [${cur.dataOffsets.join(", ")}] overlap`,
        { tensors: [prev.name, cur.name], dataOffsets: [prev.dataOffsets, cur.dataOffsets] },
      );
    }
  }
}

type TypedArrayCtor<T> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};

const STORAGE_CTOR: Readonly<Record<DType, TypedArrayCtor<unknown>>> = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** A typed array over `[begin, begin+byteLength)` of `buffer`: a view when allowed and aligned, else one copy. */
function typedView<T>(
  ctor: TypedArrayCtor<T>,
  buffer: ArrayBuffer,
  begin: number,
  byteLength: number,
  copy: boolean,
): T {
  const length = byteLength / ctor.BYTES_PER_ELEMENT;
  if (!copy && begin % ctor.BYTES_PER_ELEMENT === 0) return new ctor(buffer, begin, length);
  const bytes = allocBytes(byteLength);
  bytes.set(new Uint8Array(buffer, begin, byteLength));
  return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
}

function decodeEntry(
  entry: SafetensorsEntry,
  buffer: ArrayBuffer,
  begin: number,
  byteLength: number,
  copy: boolean,
): Tensor {
  const shape = [...entry.shape];
  const dtype = TENSOR_DTYPE[entry.dtype];
  if (dtype !== undefined) {
    const data = typedView(
      STORAGE_CTOR[dtype] as TypedArrayCtor<TensorDataMap[DType]>,
      buffer,
      begin,
      byteLength,
      copy,
    );
    return { dtype, shape, data };
  }
  const view = new DataView(buffer, begin, byteLength);
  switch (entry.dtype) {
    case "F64": {
      const out = new Float32Array(byteLength / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return { dtype: "float32", shape, data: out };
    }
    case "I8":
      return { dtype: "int32", shape, data: Int32Array.from(new Int8Array(buffer, begin, byteLength)) };
    case "I16": {
      const out = new Int32Array(byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
      return { dtype: "int32", shape, data: out };
    }
    case "U16": {
      const out = new Int32Array(byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
      return { dtype: "int32", shape, data: out };
    }
    default:
      throw new SafetensorsError(
        `Safetensors tensor ${JSON.stringify(entry.name)}: dtype ${entry.dtype} cannot be decoded (supported: F32, F16, BF16, I64, I32, U8, BOOL; F64→float32; I8/I16/U16→int32)`,
        { tensor: entry.name, dtype: entry.dtype },
      );
  }
}

/** Throws a TensorError unless `t` can be written under `name` (dtype known, data length and type match the shape). */
export function assertEncodableTensor(name: string, t: Tensor | undefined): void {
  if (name === "__metadata__") {
    throw new SafetensorsError(`"__metadata__" is reserved and cannot name a tensor`, { tensor: name });
  }
  if (t === undefined || !Object.hasOwn(FILE_DTYPE, t.dtype)) {
    throw new TensorError(`Tensor ${JSON.stringify(name)} has no valid dtype`, { tensor: name, dtype: t?.dtype });
  }
  const size = tensorSize(t.shape);
  if (t.data.length !== size) {
    throw new TensorError(
      `Tensor ${JSON.stringify(name)} has ${t.data.length} elements but shape [${t.shape.join(", ")}] needs ${size}`,
      { tensor: name, shape: [...t.shape], length: t.data.length },
    );
  }
  if (t.data.BYTES_PER_ELEMENT !== DTYPE_BYTES[t.dtype]) {
    throw new TensorError(`Tensor ${JSON.stringify(name)} data is not stored as ${t.dtype}`, {
      tensor: name,
      dtype: t.dtype,
    });
  }
}
