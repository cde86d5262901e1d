import { OnnxFormatError } from "./onnx-errors.js";

// Just enough of the protobuf wire format to walk an ONNX file: fields are visited in order, with the byte range of
// each length-delimited value, so callers can record where a tensor's bytes sit without copying them.

/** Protobuf wire types. */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** One field of a message: its number, wire type, and its value (a varint) or byte range (a length-delimited). */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** The varint value (wire type 0), as a bigint so that int64 survives. */
  readonly varint: bigint;
  /** Absolute start of the value's bytes (length-delimited and fixed types). */
  readonly start: number;
  /** Absolute end (exclusive) of the value's bytes. */
  readonly end: number;
}

/** Reads a varint at `pos`; returns its value and the position after it. */
export function readVarint(bytes: Uint8Array, pos: number, where: string): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const byte = bytes[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new OnnxFormatError(where, `a varint at byte ${pos} runs past the end of its message`);
}

/** Visits the fields of the message in `bytes[start, end)` in file order. */
export function* wireFields(bytes: Uint8Array, start: number, end: number, where: string): Generator<WireField> {
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, where);
    pos = tag.next;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    switch (wireType) {
      case WireType.varint: {
        const v = readVarint(bytes, pos, where);
        yield { field, wireType, varint: v.value, start: pos, end: v.next };
        pos = v.next;
        break;
      }
      case WireType.fixed64:
        yield { field, wireType, varint: 0n, start: pos, end: pos + 8 };
        pos += 8;
        break;
      case WireType.lengthDelimited: {
        const len = readVarint(bytes, pos, where);
        const valueStart = len.next;
        const valueEnd = valueStart + Number(len.value);
        if (valueEnd > end)
          throw new OnnxFormatError(where, `field ${field} at byte ${pos} is longer than its enclosing message`);
        yield { field, wireType, varint: 0n, start: valueStart, end: valueEnd };
        pos = valueEnd;
        break;
      }
      case WireType.fixed32:
        yield { field, wireType, varint: 0n, start: pos, end: pos + 4 };
        pos += 4;
        break;
      default:
        throw new OnnxFormatError(where, `unsupported protobuf wire type ${wireType} (field ${field}) at byte ${pos}`);
    }
    if (pos > end) throw new OnnxFormatError(where, `field ${field} runs past the end of its message`);
  }
}

const utf8 = new TextDecoder();

/** The UTF-8 string of a length-delimited field. */
export function fieldString(bytes: Uint8Array, f: WireField): string {
  return utf8.decode(bytes.subarray(f.start, f.end));
}

/** Every varint in a repeated integer field, packed (one length-delimited run) or not (one varint). */
export function fieldVarints(bytes: Uint8Array, f: WireField, where: string): bigint[] {
  if (f.wireType === WireType.varint) return [f.varint];
  const out: bigint[] = [];
  let pos = f.start;
  while (pos < f.end) {
    const v = readVarint(bytes, pos, where);
    out.push(v.value);
    pos = v.next;
  }
  return out;
}
