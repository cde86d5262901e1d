import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ImageMode, RawImage } from "@atelier/core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidImageError,
  convertMode,
  decodeImage,
  encodeImageFiles,
  encodePng,
  makeThumbnail,
  readPngTextChunks,
  thumbnailSize,
  toRawImage,
} from "../../src/image-files/index.js";
import { hasPillow, runPython } from "./pillow.js";

const CHANNELS: Record<ImageMode, number> = { L: 1, LA: 2, RGB: 3, RGBA: 4 };
const MODES: ImageMode[] = ["L", "LA", "RGB", "RGBA"];

/** Deterministic pseudo-random pixels (an LCG), so failures reproduce. */
function noisyImage(width: number, height: number, mode: ImageMode, seed = 1): RawImage {
  const data = new Uint8Array(width * height * CHANNELS[mode]);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return { width, height, mode, data };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "atelier-codec-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("encodePng / decodeImage", () => {
  it.each(MODES)("round-trips %s pixels exactly, with text chunks", async (mode) => {
    const image = noisyImage(37, 21, mode, 7);
    const png = await encodePng(image, { compressionLevel: 1, textChunks: { invokeai_metadata: '{"a":1}' } });
    const decoded = await decodeImage(png);
    expect(decoded.format).toBe("png");
    expect(decoded.image.mode).toBe(mode);
    expect(decoded.image.width).toBe(37);
    expect(decoded.image.height).toBe(21);
    expect(Buffer.from(decoded.image.data).equals(Buffer.from(image.data))).toBe(true);
    expect(decoded.textChunks).toEqual({ invokeai_metadata: '{"a":1}' });
  });

  it("honours the compression level", async () => {
    // A random 8×8 tile repeated: only a matching compressor (levels 2–9) finds the repeats; level 1 (Z_RLE) is
    // faster and larger, level 0 stores.
    const tile = Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 2654435761) >>> 24);
    const smooth: RawImage = {
      width: 256,
      height: 256,
      mode: "RGB",
      data: new Uint8Array(256 * 256 * 3).map((_, i) => {
        const x = Math.floor(i / 3) % 256;
        const y = Math.floor(i / 768);
        return tile[((y % 8) * 8 + (x % 8)) * 3 + (i % 3)]!;
      }),
    };
    const fast = await encodePng(smooth, { compressionLevel: 1 });
    const small = await encodePng(smooth, { compressionLevel: 9 });
    const none = await encodePng(smooth, { compressionLevel: 0 });
    expect(none.length).toBeGreaterThan(fast.length);
    expect(fast.length).toBeGreaterThan(small.length);
    for (const png of [fast, small, none]) {
      expect(Buffer.from((await decodeImage(png)).image.data).equals(Buffer.from(smooth.data))).toBe(true);
    }
    await expect(encodePng(smooth, { compressionLevel: 10 })).rejects.toBeInstanceOf(InvalidImageError);
  });

  it("accepts a sharp pipeline without consuming it", async () => {
    const pipeline = sharp({
      create: { width: 20, height: 10, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
    });
    const png = await encodePng(pipeline);
    const again = await toRawImage(pipeline);
    expect(again.mode).toBe("RGBA");
    const decoded = await decodeImage(png);
    expect(Array.from(decoded.image.data.subarray(0, 4))).toEqual([10, 20, 30, 128]);
    expect(Buffer.from(decoded.image.data).equals(Buffer.from(again.data))).toBe(true);
  });

  it("refuses inconsistent RawImages", async () => {
    await expect(encodePng({ width: 4, height: 4, mode: "RGB", data: new Uint8Array(10) })).rejects.toThrow(/needs 48/);
    await expect(encodePng({ width: 0, height: 4, mode: "RGB", data: new Uint8Array(0) })).rejects.toBeInstanceOf(
      InvalidImageError,
    );
    await expect(
      encodePng({ width: 1, height: 1, mode: "CMYK" as ImageMode, data: new Uint8Array(4) }),
    ).rejects.toBeInstanceOf(InvalidImageError);
  });

  it("decodes JPEG, WebP and 16-bit PNG to 8-bit pixels", async () => {
    const base = sharp(Buffer.from(noisyImage(16, 16, "RGB").data), { raw: { width: 16, height: 16, channels: 3 } });
    const jpeg = await decodeImage(await base.clone().jpeg().toBuffer());
    expect([jpeg.format, jpeg.image.mode, jpeg.textChunks]).toEqual(["jpeg", "RGB", {}]);
    const webp = await decodeImage(await base.clone().ensureAlpha(0.5).webp({ lossless: true }).toBuffer());
    expect([webp.format, webp.image.mode]).toEqual(["webp", "RGBA"]);
    const grey: RawImage = { width: 2, height: 1, mode: "L", data: new Uint8Array([0, 200]) };
    const png16 = await sharp(Buffer.from(grey.data), { raw: { width: 2, height: 1, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const decoded16 = await decodeImage(png16);
    expect(decoded16.image.mode).toBe("L");
    expect(Array.from(decoded16.image.data)).toEqual([0, 200]);
  });

  it("refuses corrupt, truncated, empty and non-image input with InvalidImageError (400)", async () => {
    const png = await encodePng(noisyImage(64, 64, "RGB"));
    const cases: [string, Uint8Array][] = [
      ["text", Buffer.from("definitely not an image")],
      ["empty", new Uint8Array(0)],
      ["truncated", png.subarray(0, Math.floor(png.length / 2))],
      ["garbled IDAT", Buffer.concat([png.subarray(0, 100), Buffer.alloc(200, 0x55), png.subarray(300)])],
    ];
    for (const [label, bytes] of cases) {
      const error = await decodeImage(bytes).catch((e: unknown) => e);
      expect(error, label).toBeInstanceOf(InvalidImageError);
      expect((error as InvalidImageError).status, label).toBe(400);
      expect((error as InvalidImageError).code, label).toBe("invalid_image");
    }
  });
});

describe("thumbnails", () => {
  it("keeps the aspect ratio with the longest side 256 and never enlarges", () => {
    expect(thumbnailSize(1024, 768)).toEqual({ width: 256, height: 192 });
    expect(thumbnailSize(768, 1024)).toEqual({ width: 192, height: 256 });
    expect(thumbnailSize(1000, 3)).toEqual({ width: 256, height: 1 });
    expect(thumbnailSize(100, 50)).toEqual({ width: 100, height: 50 });
    expect(thumbnailSize(256, 256)).toEqual({ width: 256, height: 256 });
    expect(thumbnailSize(1000, 333)).toEqual({ width: 256, height: 85 });
  });

  it.skipIf(!hasPillow)("matches Pillow's Image.thumbnail sizes", () => {
    const sizes: [number, number][] = [];
    for (let w = 200; w <= 3000; w += 191) for (let h = 150; h <= 2500; h += 263) sizes.push([w, h]);
    sizes.push([1, 5000], [5000, 1], [257, 256], [512, 511], [999, 1000]);
    const pillow = runPython<[number, number][]>(
      [
        "import json, sys",
        "from PIL import Image",
        "out = []",
        "for w, h in json.loads(sys.argv[1]):",
        "    im = Image.new('L', (w, h))",
        "    im.thumbnail((256, 256))",
        "    out.append(im.size)",
        "print(json.dumps(out))",
      ].join("\n"),
      [JSON.stringify(sizes)],
    );
    expect(sizes.map(([w, h]) => thumbnailSize(w, h)).map((s) => [s.width, s.height])).toEqual(pillow);
  });

  it.each([
    ["RGB", 3, false],
    ["L", 3, false],
    ["RGBA", 4, true],
    ["LA", 4, true],
  ] as const)("makes a WebP of a %s image with %i channels", async (mode, channels, alpha) => {
    const webp = await makeThumbnail(noisyImage(600, 300, mode));
    const meta = await sharp(webp).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels, meta.hasAlpha]).toEqual([
      "webp",
      256,
      128,
      channels,
      alpha,
    ]);
  });

  it("encodes PNG and thumbnail together from one image", async () => {
    const image = noisyImage(300, 200, "RGBA");
    const files = await encodeImageFiles(image, { textChunks: { invokeai_graph: "{}" } });
    expect(readPngTextChunks(files.png)).toEqual({ invokeai_graph: "{}" });
    expect((await sharp(files.thumbnail).metadata()).width).toBe(256);
    expect(files.image).toBe(image);
  });
});

describe("convertMode", () => {
  it("uses Pillow's luma and alpha rules on hand-computed pixels", () => {
    const rgba: RawImage = {
      width: 4,
      height: 1,
      mode: "RGBA",
      data: new Uint8Array([255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30, 255, 255, 255, 40]),
    };
    // L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16: red 76, green 150, blue 29, white 255
    expect(Array.from(convertMode(rgba, "L").data)).toEqual([76, 150, 29, 255]);
    expect(Array.from(convertMode(rgba, "LA").data)).toEqual([76, 10, 150, 20, 29, 30, 255, 40]);
    expect(Array.from(convertMode(rgba, "RGB").data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const la: RawImage = { width: 1, height: 1, mode: "LA", data: new Uint8Array([90, 7]) };
    expect(Array.from(convertMode(la, "RGBA").data)).toEqual([90, 90, 90, 7]);
    expect(Array.from(convertMode(la, "RGB").data)).toEqual([90, 90, 90]);
    const rgb: RawImage = { width: 1, height: 1, mode: "RGB", data: new Uint8Array([1, 2, 3]) };
    expect(Array.from(convertMode(rgb, "RGBA").data)).toEqual([1, 2, 3, 255]);
    const same = convertMode(rgb, "RGB");
    expect(same.data).not.toBe(rgb.data);
    expect(Array.from(same.data)).toEqual([1, 2, 3]);
  });

  it.skipIf(!hasPillow)("equals Pillow's Image.convert for every pair of modes", async () => {
    const pairs: [ImageMode, ImageMode][] = MODES.flatMap((from) =>
      MODES.map((to): [ImageMode, ImageMode] => [from, to]),
    );
    const inputs = pairs.map(([from], i) => noisyImage(64, 64, from, 100 + i));
    for (const [i, image] of inputs.entries()) await writeFile(path.join(tmp, `in-${i}.raw`), image.data);
    runPython<null>(
      [
        "import json, sys, os",
        "from PIL import Image",
        "for i, (src, dst) in enumerate(json.loads(sys.argv[2])):",
        "    data = open(os.path.join(sys.argv[1], f'in-{i}.raw'), 'rb').read()",
        "    out = Image.frombytes(src, (64, 64), data).convert(dst).tobytes()",
        "    open(os.path.join(sys.argv[1], f'out-{i}.raw'), 'wb').write(out)",
        "print('null')",
      ].join("\n"),
      [tmp, JSON.stringify(pairs)],
    );
    for (const [i, [, to]] of pairs.entries()) {
      const expected = await readFile(path.join(tmp, `out-${i}.raw`));
      const actual = convertMode(inputs[i], to);
      expect(Buffer.from(actual.data).equals(expected), `${pairs[i][0]} -> ${to}`).toBe(true);
    }
  });

  it("matches R*299/1000 + G*587/1000 + B*114/1000 to within rounding over all greys and primaries", () => {
    const data = new Uint8Array(256 * 3 * 3);
    for (let v = 0; v < 256; v++) {
      data.set([v, 0, 0], v * 9);
      data.set([0, v, 0], v * 9 + 3);
      data.set([0, 0, v], v * 9 + 6);
    }
    const l = convertMode({ width: 256 * 3, height: 1, mode: "RGB", data }, "L").data;
    for (let i = 0; i < l.length; i++) {
      const [r, g, b] = data.subarray(i * 3, i * 3 + 3);
      expect(Math.abs(l[i] - (r * 299 + g * 587 + b * 114) / 1000)).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it("refuses an unknown target mode", () => {
    expect(() => convertMode(noisyImage(2, 2, "RGB"), "CMYK" as ImageMode)).toThrow(InvalidImageError);
  });
});
