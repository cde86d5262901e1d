import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidImageError,
  PngTextChunkError,
  readPngTextChunks,
  writePngTextChunks,
} from "../../src/image-files/index.js";
import { hasPillow, runPython } from "./pillow.js";

// An independent CRC-32 (table-driven, as in the PNG spec's sample code) to check the chunks we write.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function specCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
}
function parseChunks(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    chunks.push({
      type,
      data: png.subarray(offset + 8, offset + 8 + length),
      crc: png.readUInt32BE(offset + 8 + length),
    });
    offset += 12 + length;
  }
  return chunks;
}
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(specCrc(body), 8 + data.length);
  return out;
}
function insertBeforeIend(png: Buffer, extra: Buffer): Buffer {
  return Buffer.concat([png.subarray(0, png.length - 12), extra, png.subarray(png.length - 12)]);
}

const METADATA = JSON.stringify({
  positive_prompt: "a cat",
  seed: 42,
  steps: 30,
  cfg_scale: 7.5,
  model: { key: "abc" },
});
const UNICODE = JSON.stringify({
  prompt: "ein Hund, café 日本語 🎨 — “quotes”",
  nested: { emoji: "🐱‍👤", latin1: "ÿé" },
});

let tmp: string;
let png: Buffer;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "atelier-png-"));
  const pixels = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 256;
  png = await sharp(pixels, { raw: { width: 64, height: 48, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("writePngTextChunks", () => {
  it("writes ASCII as tEXt and other text as UTF-8 iTXt, before the first IDAT, with correct CRCs", () => {
    const out = writePngTextChunks(png, { invokeai_metadata: METADATA, invokeai_workflow: UNICODE });
    const chunks = parseChunks(out);
    const types = chunks.map((c) => c.type);
    const firstIdat = types.indexOf("IDAT");
    expect(types.indexOf("tEXt")).toBeGreaterThan(0);
    expect(types.indexOf("tEXt")).toBeLessThan(firstIdat);
    expect(types.indexOf("iTXt")).toBeLessThan(firstIdat);
    expect(types.at(-1)).toBe("IEND");
    for (const c of chunks) expect(specCrc(Buffer.concat([Buffer.from(c.type, "latin1"), c.data])), c.type).toBe(c.crc);
    const text = chunks.find((c) => c.type === "tEXt")!;
    expect(text.data.toString("latin1")).toBe(`invokeai_metadata\0${METADATA}`);
    const itxt = chunks.find((c) => c.type === "iTXt")!;
    // keyword, NUL, compression flag 0, method 0, empty language, NUL, empty translated keyword, NUL, UTF-8 text
    expect(itxt.data.subarray(0, 22).toString("latin1")).toBe("invokeai_workflow\0\0\0\0\0");
    expect(itxt.data.subarray(22).toString("utf8")).toBe(UNICODE);
    // The image data is untouched.
    const idat = (b: Buffer) =>
      Buffer.concat(
        parseChunks(b)
          .filter((c) => c.type === "IDAT")
          .map((c) => c.data),
      );
    expect(idat(out).equals(idat(png))).toBe(true);
  });

  it("is read back identically by sharp (metadata().comments)", async () => {
    const out = writePngTextChunks(png, {
      invokeai_metadata: METADATA,
      invokeai_workflow: UNICODE,
      invokeai_graph: "{}",
    });
    const { comments } = await sharp(out).metadata();
    const byKey = Object.fromEntries((comments ?? []).map((c) => [c.keyword, c.text]));
    expect(byKey).toEqual({ invokeai_metadata: METADATA, invokeai_workflow: UNICODE, invokeai_graph: "{}" });
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const { data: original } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(data.equals(original)).toBe(true);
  });

  it.skipIf(!hasPillow)("is read back identically by Pillow", async () => {
    const file = path.join(tmp, "pillow-read.png");
    await writeFile(file, writePngTextChunks(png, { invokeai_metadata: METADATA, invokeai_workflow: UNICODE }));
    const info = runPython<Record<string, string>>(
      "import json,sys; from PIL import Image; im=Image.open(sys.argv[1]); im.load(); print(json.dumps({k: v for k, v in im.text.items()}))",
      [file],
    );
    expect(info).toEqual({ invokeai_metadata: METADATA, invokeai_workflow: UNICODE });
  });

  it("replaces chunks with the same keyword instead of duplicating them", () => {
    const once = writePngTextChunks(png, { invokeai_metadata: "first", other: "kept" });
    const twice = writePngTextChunks(once, { invokeai_metadata: "second é" });
    const texts = parseChunks(twice).filter((c) => c.type === "tEXt" || c.type === "iTXt");
    expect(texts).toHaveLength(2);
    expect(readPngTextChunks(twice)).toEqual({ invokeai_metadata: "second é", other: "kept" });
  });

  it("refuses bad keywords and NUL in text with a typed error", () => {
    for (const keyword of ["", "k".repeat(80), " lead", "trail ", "two  spaces", "tab\tkey", "snow☃"]) {
      expect(() => writePngTextChunks(png, { [keyword]: "x" }), JSON.stringify(keyword)).toThrow(PngTextChunkError);
    }
    expect(() => writePngTextChunks(png, { ok: "a\0b" })).toThrow(/NUL/);
  });

  it("refuses input that is not a PNG", () => {
    expect(() => writePngTextChunks(Buffer.from("GIF89a...."), { a: "b" })).toThrow(InvalidImageError);
    expect(() => writePngTextChunks(png.subarray(0, png.length - 20), { a: "b" })).toThrow(InvalidImageError);
  });
});

describe("readPngTextChunks", () => {
  it("reads tEXt, zTXt and compressed/uncompressed iTXt, also after IDAT; the last duplicate wins", () => {
    const ztxt = chunk(
      "zTXt",
      Buffer.concat([Buffer.from("zkey\0\0", "latin1"), deflateSync(Buffer.from("compressed Latin-1 é", "latin1"))]),
    );
    const itxtZ = chunk(
      "iTXt",
      Buffer.concat([
        Buffer.from("ikey\0\x01\x00en\0Schlüssel\0", "latin1"),
        deflateSync(Buffer.from("UTF-8 ✓ 🎨", "utf8")),
      ]),
    );
    const itxt = chunk("iTXt", Buffer.concat([Buffer.from("plain\0\0\0\0\0", "latin1"), Buffer.from("日本", "utf8")]));
    const text = chunk("tEXt", Buffer.from("plain\0later wins", "latin1"));
    const out = insertBeforeIend(png, Buffer.concat([ztxt, itxtZ, itxt, text]));
    expect(readPngTextChunks(out)).toEqual({ zkey: "compressed Latin-1 é", ikey: "UTF-8 ✓ 🎨", plain: "later wins" });
  });

  it("skips text chunks with a bad CRC or a broken deflate stream, keeping the others", () => {
    const good = chunk("tEXt", Buffer.from("good\0yes", "latin1"));
    const badCrc = chunk("tEXt", Buffer.from("badcrc\0no", "latin1"));
    badCrc.writeUInt32BE((badCrc.readUInt32BE(badCrc.length - 4) + 1) >>> 0, badCrc.length - 4);
    const badZip = chunk("zTXt", Buffer.concat([Buffer.from("badzip\0\0", "latin1"), Buffer.from("not deflate")]));
    expect(readPngTextChunks(insertBeforeIend(png, Buffer.concat([good, badCrc, badZip])))).toEqual({ good: "yes" });
  });

  it("keeps a '__proto__' keyword as a plain key", () => {
    const out = insertBeforeIend(png, chunk("tEXt", Buffer.from("__proto__\0value", "latin1")));
    const chunks = readPngTextChunks(out);
    expect(Object.keys(chunks)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(chunks)).toBe(Object.prototype);
  });

  it.skipIf(!hasPillow)("reads chunks written by Pillow, zTXt and iTXt included", async () => {
    const file = path.join(tmp, "pillow-written.png");
    runPython<null>(
      [
        "import sys",
        "from PIL import Image, PngImagePlugin",
        "info = PngImagePlugin.PngInfo()",
        "info.add_text('invokeai_metadata', sys.argv[2])",
        "info.add_text('invokeai_workflow', sys.argv[3])",
        "info.add_text('zipped', sys.argv[2], zip=True)",
        "info.add_itxt('izipped', sys.argv[3], zip=True)",
        "Image.new('RGB', (8, 8), (1, 2, 3)).save(sys.argv[1], 'PNG', pnginfo=info, compress_level=1)",
        "print('null')",
      ].join("\n"),
      [file, METADATA, UNICODE],
    );
    expect(readPngTextChunks(await readFile(file))).toEqual({
      invokeai_metadata: METADATA,
      invokeai_workflow: UNICODE,
      zipped: METADATA,
      izipped: UNICODE,
    });
  });

  it("returns an empty record for a PNG without text and refuses non-PNG or truncated input", () => {
    expect(readPngTextChunks(png)).toEqual({});
    expect(() => readPngTextChunks(Buffer.from("not a png at all"))).toThrow(InvalidImageError);
    expect(() => readPngTextChunks(png.subarray(0, 40))).toThrow(InvalidImageError);
    const noIend = png.subarray(0, png.length - 12);
    expect(() => readPngTextChunks(noIend)).toThrow(/IEND/);
  });

  it("round-trips a large UTF-8 JSON document", () => {
    const big = JSON.stringify({
      nodes: Array.from({ length: 20000 }, (_, i) => ({ id: `node-${i}`, label: `Knoten ${i} ✓` })),
    });
    expect(big.length).toBeGreaterThan(500_000);
    expect(readPngTextChunks(writePngTextChunks(png, { invokeai_workflow: big })).invokeai_workflow).toBe(big);
  });
});
