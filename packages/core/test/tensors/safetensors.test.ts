import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  createTensor,
  decodeSafetensors,
  encodeSafetensors,
  encodeSafetensorsInto,
  encodeSafetensorsParts,
  readSafetensorsHeader,
  readSafetensorsHeaderLength,
  SafetensorsError,
  type Tensor,
} from "@atelier/core";

const NOISE_DIR = fileURLToPath(new URL("../../../../../shared/fixtures/noise/", import.meta.url));
const fixtureNames = readdirSync(NOISE_DIR).filter((f) => f.endsWith(".safetensors"));

/** Hand-assembles a file from a header object and a data section, as a foreign writer might. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as SafetensorsError).code).toBe("invalid_safetensors");
  expect((caught as SafetensorsError).message).toMatch(message);
}

describe("safetensors codec against files written by Python", () => {
  it("finds the fixtures", () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixtureNames)("decodes %s and re-encodes it byte for byte", (name) => {
    const bytes = new Uint8Array(readFileSync(NOISE_DIR + name));
    const { tensors, metadata } = decodeSafetensors(bytes);
    const shape = JSON.parse(metadata.shape) as number[];
    expect(Object.keys(tensors)).toEqual(["noise"]);
    expect(tensors.noise.dtype).toBe("float32");
    expect(tensors.noise.shape).toEqual(shape);
    expect(name).toContain(`seed${metadata.seed}_${shape.join("x")}_${metadata.dtype}`);
    // Values are plausible standard normals, read in the right byte order.
    const data = tensors.noise.data as Float32Array;
    const mean = data.reduce((a, v) => a + v, 0) / data.length;
    expect(Math.abs(mean)).toBeLessThan(0.5);
    expect(data.every((v) => Math.abs(v) < 7)).toBe(true);
    const encoded = encodeSafetensors(tensors, metadata);
    expect(encoded.length).toBe(bytes.length);
    expect(Buffer.compare(encoded, bytes)).toBe(0);
  });

  it("reads a header from the first 8+N bytes only", () => {
    const bytes = new Uint8Array(readFileSync(NOISE_DIR + fixtureNames[0]));
    const n = readSafetensorsHeaderLength(bytes.subarray(0, 8));
    const header = readSafetensorsHeader(bytes.subarray(0, 8 + n), { fileSize: bytes.length });
    expect(header.headerLength).toBe(n);
    expect(header.entries).toHaveLength(1);
    expect(header.entries[0].dtype).toBe("F32");
    expect(header.entries[0].dataOffsets[1] - header.entries[0].dataOffsets[0]).toBe(bytes.length - 8 - n);
    expectInvalid(
      () => readSafetensorsHeader(bytes.subarray(0, 8 + n), { fileSize: bytes.length - 4 }),
      /"noise".*go beyond/,
    );
  });
});

describe("safetensors round trips", () => {
  const sample: Record<string, Tensor> = {
    "a.u8": createTensor("uint8", [3], new Uint8Array([1, 2, 255])),
    "b.f32": createTensor("float32", [2, 2], new Float32Array([1.5, -2, 3.25, 1e-8])),
    "c.f16": createTensor("float16", [3], new Uint16Array([0x3c00, 0xfc00, 0x0001])),
    "d.bf16": createTensor("bfloat16", [1], new Uint16Array([0x3fc0])),
    "e.i64": createTensor("int64", [2], new BigInt64Array([-(2n ** 62n), 7n])),
    "f.i32": createTensor("int32", [1, 1, 2], new Int32Array([-5, 2 ** 30])),
    "g.bool": createTensor("bool", [2], new Uint8Array([1, 0])),
    "h.empty": createTensor("float32", [0, 4]),
    "i.scalar": createTensor("float32", [], new Float32Array([42])),
  };

  it("keeps every dtype, shape and value", () => {
    const bytes = encodeSafetensors(sample, { format: "pt", note: "ü" });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt", note: "ü" });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sample).sort());
    for (const [name, t] of Object.entries(sample)) {
      expect(tensors[name].dtype).toBe(t.dtype);
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data).toEqual(t.data);
    }
  });

  it("encodes into a caller's buffer and returns the tensors as views of their bytes in it", () => {
    const expected = encodeSafetensors(sample, { format: "pt" });
    const parts = encodeSafetensorsParts(sample, { format: "pt" });
    expect(Buffer.concat(parts)).toEqual(Buffer.from(expected));
    const backing = new ArrayBuffer(expected.byteLength + 4096);
    const sizes: number[] = [];
    const { bytes, tensors } = encodeSafetensorsInto(sample, { format: "pt" }, (n) => {
      sizes.push(n);
      return new Uint8Array(backing, 0, n);
    });
    expect(sizes).toEqual([expected.byteLength]);
    expect(bytes).toEqual(expected);
    for (const [name, t] of Object.entries(sample)) {
      expect(tensors[name]).toEqual(t);
      expect(tensors[name].data.buffer).toBe(backing);
      expect(tensors[name].data).not.toBe(t.data);
    }
    // A buffer that does not start 8-aligned gets copies, which are still right.
    const odd = encodeSafetensorsInto(sample, undefined, (n) => new Uint8Array(new ArrayBuffer(n + 4), 4, n));
    expect(odd.tensors["e.i64"]).toEqual(sample["e.i64"]);
    expect(odd.tensors["e.i64"].data.buffer).not.toBe(odd.bytes.buffer);
    expect(() => encodeSafetensorsInto(sample, undefined, (n) => new Uint8Array(n - 1))).toThrow(RangeError);
  });

  it("lays the file out as Python does: space-padded 8-aligned header, data aligned per element", () => {
    const bytes = encodeSafetensors(sample);
    const n = readSafetensorsHeaderLength(bytes);
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{"e\.i64":\{"dtype":"I64","shape":\[2\],"data_offsets":\[0,16\]\}/);
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    expect(text).not.toContain("__metadata__");
    const header = readSafetensorsHeader(bytes, { fileSize: bytes.length });
    const sizes: Record<string, number> = { I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1, BOOL: 1 };
    let previousSize = 8;
    for (const e of header.entries) {
      expect(e.dataOffsets[0] % sizes[e.dtype]).toBe(0);
      expect(sizes[e.dtype]).toBeLessThanOrEqual(previousSize);
      previousSize = sizes[e.dtype];
    }
  });

  it("decodes with views when asked and aligned, copies otherwise", () => {
    const bytes = encodeSafetensors({ x: createTensor("float32", [2], new Float32Array([1, 2])) });
    const viewed = decodeSafetensors(bytes, { copy: false }).tensors.x.data as Float32Array;
    expect(viewed.buffer).toBe(bytes.buffer);
    const copied = decodeSafetensors(bytes).tensors.x.data as Float32Array;
    expect(copied.buffer).not.toBe(bytes.buffer);
    // Shift the file by one byte inside a bigger buffer: the float data is no longer 4-aligned.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const unaligned = decodeSafetensors(shifted.subarray(1), { copy: false }).tensors.x;
    expect(Array.from(unaligned.data as Float32Array)).toEqual([1, 2]);
  });

  it("widens I8/I16/U16 to int32 and narrows F64 to float32", () => {
    const data = new Uint8Array(2 + 4 + 4 + 16);
    const view = new DataView(data.buffer);
    view.setInt8(0, -3);
    view.setInt8(1, 100);
    view.setInt16(2, -30000, true);
    view.setInt16(4, 1234, true);
    view.setUint16(6, 65535, true);
    view.setUint16(8, 1, true);
    view.setFloat64(10, Math.PI, true);
    view.setFloat64(18, -0.5, true);
    const file = rawFile(
      {
        i8: { dtype: "I8", shape: [2], data_offsets: [0, 2] },
        i16: { dtype: "I16", shape: [2], data_offsets: [2, 6] },
        u16: { dtype: "U16", shape: [2], data_offsets: [6, 10] },
        f64: { dtype: "F64", shape: [1, 2], data_offsets: [10, 26] },
      },
      data,
    );
    const { tensors } = decodeSafetensors(file);
    expect(tensors.i8).toEqual({ dtype: "int32", shape: [2], data: new Int32Array([-3, 100]) });
    expect(tensors.i16.data).toEqual(new Int32Array([-30000, 1234]));
    expect(tensors.u16.data).toEqual(new Int32Array([65535, 1]));
    expect(tensors.f64).toEqual({ dtype: "float32", shape: [1, 2], data: new Float32Array([Math.PI, -0.5]) });
  });
});

describe("safetensors validation", () => {
  const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

  it("refuses truncated input and header lengths beyond the data or the limit", () => {
    expectInvalid(() => decodeSafetensors(new Uint8Array(5)), /truncated: 5 bytes/);
    const file = rawFile({ t: entry("F32", [1], [0, 4]) }, new Uint8Array(4));
    expectInvalid(() => decodeSafetensors(file.subarray(0, 20)), /header length \d+ .* goes beyond the data: 20 bytes/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expectInvalid(() => readSafetensorsHeaderLength(huge), /exceeds the 100000000-byte limit/);
  });

  it("refuses a file cut inside the tensor data", () => {
    const file = rawFile({ t: entry("F32", [4], [0, 16]) }, new Uint8Array(16));
    expectInvalid(
      () => decodeSafetensors(file.subarray(0, file.length - 3)),
      /"t": data_offsets \[0, 16\] go beyond the 13 bytes/,
    );
  });

  it("refuses bad JSON, bad UTF-8 and non-object headers", () => {
    expectInvalid(() => decodeSafetensors(rawFile(null, new Uint8Array(0), '{"t": ')), /not valid JSON/);
    expectInvalid(() => decodeSafetensors(rawFile(null, new Uint8Array(0), "[1, 2]")), /must be a JSON object/);
    const bad = rawFile(null, new Uint8Array(0), '{"x":1}');
    bad[10] = 0xff;
    expectInvalid(() => decodeSafetensors(bad), /not valid UTF-8/);
  });

  it("refuses offsets out of range, reversed or overlapping", () => {
    const data = new Uint8Array(16);
    expectInvalid(
      () => decodeSafetensors(rawFile({ a: entry("F32", [5], [0, 20]) }, data)),
      /"a": data_offsets \[0, 20\] go beyond the 16 bytes/,
    );
    expectInvalid(
      () => decodeSafetensors(rawFile({ a: entry("F32", [1], [8, 4]) }, data)),
      /"a": data_offsets \[8,4\]/,
    );
    expectInvalid(
      () => decodeSafetensors(rawFile({ a: entry("F32", [3], [0, 12]), b: entry("F32", [2], [8, 16]) }, data)),
      /"a" \[0, 12\] and "b" \[8, 16\] overlap/,
    );
  });

  it("refuses a shape × dtype size that differs from the byte range", () => {
    expectInvalid(
      () => decodeSafetensors(rawFile({ w: entry("F16", [2, 3], [0, 16]) }, new Uint8Array(16))),
      /"w": shape \[2, 3\] × F16 needs 12 bytes but data_offsets \[0, 16\] hold 16/,
    );
    expectInvalid(() => decodeSafetensors(rawFile({ w: entry("F16", [-1], [0, 0]) })), /"w": shape \[-1\]/);
  });

  it("refuses unknown dtypes, non-string metadata, and decoding of dtypes it cannot hold", () => {
    expectInvalid(
      () => decodeSafetensors(rawFile({ w: entry("F12", [1], [0, 2]) }, new Uint8Array(2))),
      /"w": unknown dtype "F12"/,
    );
    expectInvalid(() => decodeSafetensors(rawFile({ __metadata__: { seed: 3 } })), /key "seed" is not a string/);
    const fp8 = rawFile({ q: entry("F8_E4M3", [4], [0, 4]) }, new Uint8Array(4));
    expect(readSafetensorsHeader(fp8).entries[0]).toEqual({
      name: "q",
      dtype: "F8_E4M3",
      shape: [4],
      dataOffsets: [0, 4],
    });
    expectInvalid(() => decodeSafetensors(fp8), /"q": dtype F8_E4M3 cannot be decoded/);
  });

  it("refuses to encode a reserved name or non-string metadata", () => {
    const t = createTensor("float32", [1]);
    expectInvalid(() => encodeSafetensors({ __metadata__: t }), /reserved/);
    expectInvalid(() => encodeSafetensors({ t }, { n: 1 as unknown as string }), /key "n" must be a string/);
  });
});

describe("safetensors from hostile writers", () => {
  it("keeps a tensor named __proto__ as an ordinary entry", () => {
    const file = rawFile(null, new Uint8Array(4), '{"__proto__":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}');
    const { tensors } = decodeSafetensors(file);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
    expect(Object.getOwnPropertyDescriptor(tensors, "__proto__")?.value.shape).toEqual([4]);
  });
});
