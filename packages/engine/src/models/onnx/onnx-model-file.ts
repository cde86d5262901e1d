import { readFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "@atelier/core";
import { OnnxFormatError } from "./onnx-errors.js";
import { fieldString, fieldVarints, WireType, wireFields, type WireField } from "./protobuf-wire.js";

// An ONNX ModelProto read far enough to find every initializer's bytes and every node's inputs. Field numbers are
// onnx.proto's. Only the positions of tensor data are recorded: a patched model is a copy of the file with new
// values written in place, which keeps every length prefix valid because sizes never change.

/** ONNX TensorProto.DataType values this module reads and writes as floats. */
export const OnnxDataType = { float: 1, float16: 10, double: 11, bfloat16: 16 } as const;

/** Where an initializer's values are stored. */
export type OnnxTensorData =
  /** Little-endian values at `offset` in the model file (raw_data, or a packed float_data run). */
  | { readonly kind: "inline"; readonly offset: number; readonly byteLength: number }
  /** In an external-data file beside the model (`location`, `offset`, `length`). */
  | { readonly kind: "external"; readonly location: string; readonly offset: number; readonly byteLength: number }
  /** No values this reader can locate (empty, or typed repeated fields other than packed float_data). */
  | { readonly kind: "none" };

/** One initializer (a graph weight). */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType. */
  readonly dataType: number;
  readonly data: OnnxTensorData;
}

/** One graph node (attributes: only the integer ones, which is what weight layout depends on: Gemm's transB). */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttributes: Readonly<Record<string, number>>;
}

/** A parsed ONNX model file: its bytes, initializers and the nodes of its main graph. */
export interface OnnxModelFile {
  /** Where it was read from (messages and external data), or a label. */
  readonly source: string;
  readonly bytes: Uint8Array;
  readonly initializers: readonly OnnxInitializer[];
  readonly nodes: readonly OnnxNode[];
}

function parseTensor(bytes: Uint8Array, message: WireField, where: string): OnnxInitializer {
  let name = "";
  const dims: number[] = [];
  let dataType = 0;
  let raw: WireField | undefined;
  let floatData: WireField | undefined;
  let external = false;
  const externalEntries: Record<string, string> = {};
  for (const f of wireFields(bytes, message.start, message.end, where)) {
    switch (f.field) {
      case 1:
        for (const d of fieldVarints(bytes, f, where)) dims.push(Number(d));
        break;
      case 2:
        dataType = Number(f.varint);
        break;
      case 4:
        // Only one packed run can be patched in place; unpacked float_data (a tag per value) is not located.
        if (f.wireType === WireType.lengthDelimited) floatData = f;
        break;
      case 8:
        name = fieldString(bytes, f);
        break;
      case 9:
        raw = f;
        break;
      case 13: {
        let key = "";
        let value = "";
        for (const e of wireFields(bytes, f.start, f.end, where)) {
          if (e.field === 1) key = fieldString(bytes, e);
          else if (e.field === 2) value = fieldString(bytes, e);
        }
        externalEntries[key] = value;
        break;
      }
      case 14:
        external = f.varint === 1n;
        break;
      default:
        break;
    }
  }
  let data: OnnxTensorData = { kind: "none" };
  if (external) {
    const location = externalEntries.location;
    if (location === undefined)
      throw new OnnxFormatError(where, `initializer ${JSON.stringify(name)} is external but names no location`);
    data = {
      kind: "external",
      location,
      offset: Number(externalEntries.offset ?? 0),
      byteLength: externalEntries.length === undefined ? -1 : Number(externalEntries.length),
    };
  } else if (raw !== undefined) data = { kind: "inline", offset: raw.start, byteLength: raw.end - raw.start };
  else if (floatData !== undefined)
    data = { kind: "inline", offset: floatData.start, byteLength: floatData.end - floatData.start };
  return { name, dims, dataType, data };
}

function parseNode(bytes: Uint8Array, message: WireField, where: string): OnnxNode {
  let name = "";
  let opType = "";
  const inputs: string[] = [];
  const outputs: string[] = [];
  const intAttributes: Record<string, number> = {};
  for (const f of wireFields(bytes, message.start, message.end, where)) {
    if (f.field === 1) inputs.push(fieldString(bytes, f));
    else if (f.field === 2) outputs.push(fieldString(bytes, f));
    else if (f.field === 3) name = fieldString(bytes, f);
    else if (f.field === 4) opType = fieldString(bytes, f);
    else if (f.field === 5) {
      let attrName = "";
      let value: bigint | undefined;
      for (const a of wireFields(bytes, f.start, f.end, where)) {
        if (a.field === 1) attrName = fieldString(bytes, a);
        else if (a.field === 3) value = BigInt.asIntN(64, a.varint);
      }
      if (value !== undefined) intAttributes[attrName] = Number(value);
    }
  }
  return { name, opType, inputs, outputs, intAttributes };
}

/** Parses the bytes of an ONNX file (ModelProto); `source` names it in errors and locates external data. */
export function parseOnnxModel(bytes: Uint8Array, source: string): OnnxModelFile {
  const where = source;
  let graph: WireField | undefined;
  for (const f of wireFields(bytes, 0, bytes.length, where)) {
    if (f.field === 7 && f.wireType === WireType.lengthDelimited) graph = f;
  }
  if (graph === undefined) throw new OnnxFormatError(where, "it has no graph (is it an ONNX model file?)");
  const initializers: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  for (const f of wireFields(bytes, graph.start, graph.end, where)) {
    if (f.wireType !== WireType.lengthDelimited) continue;
    if (f.field === 5) initializers.push(parseTensor(bytes, f, where));
    else if (f.field === 1) nodes.push(parseNode(bytes, f, where));
  }
  return { source, bytes, initializers, nodes };
}

/** Reads and parses an ONNX file. */
export async function readOnnxModelFile(path: string): Promise<OnnxModelFile> {
  const bytes = new Uint8Array(await readFile(path));
  return parseOnnxModel(bytes, path);
}

/** Bytes per element of the float types this module converts. */
function elementSize(dataType: number, where: string): number {
  switch (dataType) {
    case OnnxDataType.float:
      return 4;
    case OnnxDataType.float16:
    case OnnxDataType.bfloat16:
      return 2;
    case OnnxDataType.double:
      return 8;
    default:
      throw new OnnxFormatError(where, `data type ${dataType} is not a float type`);
  }
}

/** Number of elements of an initializer. */
export function initializerSize(init: OnnxInitializer): number {
  return init.dims.reduce((a, b) => a * b, 1);
}

/** The external-data file an initializer's bytes are in, resolved beside the model and kept inside its folder. */
export function externalDataPath(model: OnnxModelFile, location: string): string {
  const folder = resolve(dirname(model.source));
  const path = resolve(join(folder, location));
  if (!path.startsWith(folder + sep))
    throw new OnnxFormatError(model.source, `external data location ${JSON.stringify(location)} leaves its folder`);
  return path;
}

/** The byte range holding an initializer's values: its file bytes for inline data, else `external` bytes given. */
function valueBytes(model: OnnxModelFile, init: OnnxInitializer, external?: Uint8Array): Uint8Array {
  const where = `${model.source}, initializer ${JSON.stringify(init.name)}`;
  const count = initializerSize(init);
  const size = elementSize(init.dataType, where);
  const data = init.data;
  if (data.kind === "none") throw new OnnxFormatError(where, "its values are not stored where this reader finds them");
  const byteLength = data.byteLength < 0 ? count * size : data.byteLength;
  if (byteLength !== count * size)
    throw new OnnxFormatError(
      where,
      `it holds ${byteLength} bytes, not ${count * size} for dims [${init.dims.join(", ")}]`,
    );
  if (data.kind === "inline") return model.bytes.subarray(data.offset, data.offset + byteLength);
  if (external === undefined)
    throw new OnnxFormatError(where, `its values are in ${data.location}, which was not given`);
  if (data.offset + byteLength > external.length)
    throw new OnnxFormatError(where, `${data.location} ends before byte ${data.offset + byteLength}`);
  return external.subarray(data.offset, data.offset + byteLength);
}

/** An initializer's values as float32 (a copy); `external` is the bytes of its external-data file, if it has one. */
export function readInitializerFloats(
  model: OnnxModelFile,
  init: OnnxInitializer,
  external?: Uint8Array,
): Float32Array {
  const bytes = valueBytes(model, init, external);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(initializerSize(init));
  for (let i = 0; i < out.length; i++) {
    switch (init.dataType) {
      case OnnxDataType.float:
        out[i] = view.getFloat32(i * 4, true);
        break;
      case OnnxDataType.float16:
        out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
        break;
      case OnnxDataType.bfloat16:
        out[i] = bfloat16BitsToFloat32(view.getUint16(i * 2, true));
        break;
      default:
        out[i] = view.getFloat64(i * 8, true);
    }
  }
  return out;
}

/**
 * Writes `values` over an initializer's values in `target`, a same-sized copy of the model file (inline data) or
 * of its external-data file, converting to the initializer's type.
 */
export function writeInitializerFloats(
  model: OnnxModelFile,
  init: OnnxInitializer,
  values: ArrayLike<number>,
  target: Uint8Array,
): void {
  const where = `${model.source}, initializer ${JSON.stringify(init.name)}`;
  if (values.length !== initializerSize(init))
    throw new OnnxFormatError(where, `${values.length} values given for ${initializerSize(init)} elements`);
  const external = init.data.kind === "external";
  if (!external && target.length !== model.bytes.length)
    throw new OnnxFormatError(
      where,
      `the copy to write into has ${target.length} bytes, the model ${model.bytes.length}`,
    );
  // The same byte range as in the model (or external file), located in the copy.
  const region = valueBytes(model, init, external ? target : undefined);
  const start = region.byteOffset - (external ? target.byteOffset : model.bytes.byteOffset);
  const view = new DataView(target.buffer, target.byteOffset + start, region.byteLength);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    switch (init.dataType) {
      case OnnxDataType.float:
        view.setFloat32(i * 4, v, true);
        break;
      case OnnxDataType.float16:
        view.setUint16(i * 2, float32ToFloat16Bits(v), true);
        break;
      case OnnxDataType.bfloat16:
        view.setUint16(i * 2, float32ToBfloat16Bits(v), true);
        break;
      default:
        view.setFloat64(i * 8, v, true);
    }
  }
}
