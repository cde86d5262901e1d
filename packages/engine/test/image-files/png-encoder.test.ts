// The PNG encoder checked by independent readers: Pillow (when installed) and zlib's own inflate/Adler-32.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deflateSync, inflateSync } from "node:zlib";
import type { ImageMode, RawImage } from "@atelier/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adler32, encodePngPixels, upFilteredScanlines } from "@atelier/engine";
import { hasPillow, runPython } from "./pillow.js";

const CHANNELS: Record<ImageMode, number> = { L: 1, LA: 2, RGB: 3, RGBA: 4 };

function pixels(width: number, height: number, mode: ImageMode, seed: number, smooth = false): RawImage {
  const data = new Uint8Array(width * height * CHANNELS[mode]);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = smooth ? (i >> 7) & 0xff : state >>> 24;
  }
  return { width, height, mode, data };
}

/** The IDAT payload of a PNG (all IDAT chunks joined). */
function idatOf(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    if (png.toString("latin1", offset + 4, offset + 8) === "IDAT")
      parts.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "atelier-png-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("png encoder", () => {
  it("Adler-32 equals zlib's", () => {
    for (const length of [0, 1, 5551, 5552, 5553, 100_000]) {
      const data = pixels(length, 1, "L", length + 7).data;
      const trailer = deflateSync(data, { level: 0 }).readUInt32BE(deflateSync(data, { level: 0 }).length - 4);
      expect(adler32(data)).toBe(trailer);
    }
  });

  it("filters rows with Up: the first row as is, the others as the difference to the row above", () => {
    const image = pixels(3, 2, "RGB", 5);
    const out = upFilteredScanlines(image);
    expect(out.length).toBe(2 * 10);
    expect([out[0], out[10]]).toEqual([2, 2]);
    expect(Array.from(out.subarray(1, 10))).toEqual(Array.from(image.data.subarray(0, 9)));
    for (let i = 0; i < 9; i++) expect(out[11 + i]).toBe((image.data[9 + i]! - image.data[i]!) & 0xff);
  });

  it("writes a single valid zlib stream even when the rows are deflated in several bands", async () => {
    // 1.2 MB of scanlines: more than one band on any machine with two or more cores.
    const image = pixels(640, 480, "RGBA", 3, true);
    for (const level of [0, 1, 6, 9]) {
      const png = await encodePngPixels(image, { compressionLevel: level });
      const inflated = inflateSync(idatOf(png)); // checks the Adler-32 trailer too
      expect(inflated.equals(Buffer.from(upFilteredScanlines(image)))).toBe(true);
    }
  });

  it.skipIf(!hasPillow)("Pillow reads every mode and odd size back exactly, with the text chunks", async () => {
    const cases: { mode: ImageMode; width: number; height: number; level: number }[] = [
      { mode: "L", width: 1, height: 1, level: 1 },
      { mode: "LA", width: 7, height: 3, level: 0 },
      { mode: "RGB", width: 33, height: 17, level: 1 },
      { mode: "RGBA", width: 300, height: 500, level: 9 },
      { mode: "RGB", width: 640, height: 480, level: 1 },
    ];
    const files: string[] = [];
    for (const [i, c] of cases.entries()) {
      const image = pixels(c.width, c.height, c.mode, i + 11);
      const png = await encodePngPixels(image, {
        compressionLevel: c.level,
        textChunks: { invokeai_metadata: `{"case":${i}}`, invokeai_graph: '{"prompt":"ünïcødé ☃"}' },
      });
      const file = path.join(tmp, `case-${i}.png`);
      await writeFile(file, png);
      await writeFile(`${file}.raw`, image.data);
      files.push(file);
    }
    const results = runPython<{ mode: string; size: [number, number]; same: boolean; text: Record<string, string> }[]>(
      [
        "import json, sys",
        "from PIL import Image",
        "out = []",
        "for f in json.loads(sys.argv[1]):",
        "    im = Image.open(f); im.load()",
        "    same = im.tobytes() == open(f + '.raw', 'rb').read()",
        "    out.append({'mode': im.mode, 'size': im.size, 'same': same, 'text': dict(im.text)})",
        "print(json.dumps(out))",
      ].join("\n"),
      [JSON.stringify(files)],
    );
    for (const [i, c] of cases.entries()) {
      expect(results[i]).toEqual({
        mode: c.mode,
        size: [c.width, c.height],
        same: true,
        text: { invokeai_metadata: `{"case":${i}}`, invokeai_graph: '{"prompt":"ünïcødé ☃"}' },
      });
    }
  });
});
