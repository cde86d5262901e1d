import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RawImage } from "@atelier/core";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlobStorageError, FsBlobStore } from "../../src/blobs/index.js";
import {
  ImageFileNotFoundError,
  ImageFiles,
  ImagePathUnavailableError,
  InvalidImageError,
  InvalidImageNameError,
  encodePng,
} from "../../src/image-files/index.js";
import type { BlobStore } from "../../src/blobs/index.js";
import { hasPillow, runPython } from "./pillow.js";

let dir: string;
let outputs: string;
let blobs: FsBlobStore;
let files: ImageFiles;

function gradient(width: number, height: number, shift = 0): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([(x + shift) & 255, (y * 3) & 255, (x ^ y) & 255], (y * width + x) * 3);
  }
  return { width, height, mode: "RGB", data };
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "atelier-images-"));
  outputs = path.join(dir, "outputs");
  blobs = new FsBlobStore(outputs);
  files = new ImageFiles({ blobs, cacheSize: 2 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const METADATA = { positive_prompt: "a lighthouse, ☀️", seed: 123 };
const WORKFLOW = '{"name":"Text to Image","nodes":[]}';
const GRAPH = '{"id":"g","nodes":{},"edges":[]}';

describe("ImageFiles", () => {
  it("writes the PNG and the WebP thumbnail where InvokeAI puts them", async () => {
    const saved = await files.save("abc.png", gradient(640, 480), {
      metadata: METADATA,
      workflow: WORKFLOW,
      graph: GRAPH,
    });
    expect(saved).toMatchObject({ name: "abc.png", subfolder: "", width: 640, height: 480, mode: "RGB" });
    expect(await filesUnder(outputs)).toEqual(["images/abc.png", "images/thumbnails/abc.webp"]);
    const png = await readFile(path.join(outputs, "images/abc.png"));
    expect(saved.bytes).toBe(png.length);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 640, 480]);
    expect(Object.fromEntries((meta.comments ?? []).map((c) => [c.keyword, c.text]))).toEqual({
      invokeai_metadata: JSON.stringify(METADATA),
      invokeai_workflow: WORKFLOW,
      invokeai_graph: GRAPH,
    });
    const thumb = await sharp(await readFile(path.join(outputs, "images/thumbnails/abc.webp"))).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(["webp", 256, 192]);
    expect(await files.readChunks("abc.png")).toEqual({
      metadata: JSON.stringify(METADATA),
      workflow: WORKFLOW,
      graph: GRAPH,
    });
  });

  it.skipIf(!hasPillow)("writes chunks Pillow reads as InvokeAI does (image.info)", async () => {
    await files.save("pil.png", gradient(32, 32), { metadata: METADATA, graph: GRAPH });
    const info = runPython<Record<string, string>>(
      "import json,sys; from PIL import Image; im=Image.open(sys.argv[1]); print(json.dumps({k: im.info.get(k) for k in ['invokeai_metadata','invokeai_workflow','invokeai_graph']}))",
      [files.getPath("pil.png")],
    );
    expect(info).toEqual({
      invokeai_metadata: JSON.stringify(METADATA),
      invokeai_workflow: null,
      invokeai_graph: GRAPH,
    });
  });

  it("uses subfolders for both files and omits absent chunks", async () => {
    await files.save("x.png", gradient(300, 100), { subfolder: "2025/01/31" });
    expect(await filesUnder(outputs)).toEqual(["images/2025/01/31/x.png", "images/thumbnails/2025/01/31/x.webp"]);
    expect(files.getPath("x.png", false, { subfolder: "2025/01/31" })).toBe(
      path.join(outputs, "images/2025/01/31/x.png"),
    );
    expect(files.getPath("x.png", true, { subfolder: "2025/01/31" })).toBe(
      path.join(outputs, "images/thumbnails/2025/01/31/x.webp"),
    );
    expect(await files.readChunks("x.png", { subfolder: "2025/01/31" })).toEqual({
      metadata: null,
      workflow: null,
      graph: null,
    });
    await expect(files.get("x.png")).rejects.toBeInstanceOf(ImageFileNotFoundError);
    expect((await files.get("x.png", { subfolder: "2025/01/31" })).width).toBe(300);
  });

  it("reads pixels back exactly, as copies, converting mode on request", async () => {
    const image = gradient(50, 40);
    await files.save("p.png", image);
    image.data.fill(0); // the caller changing its buffer after save must not reach the cache
    const first = await files.get("p.png");
    expect(Buffer.from(first.data).equals(Buffer.from(gradient(50, 40).data))).toBe(true);
    first.data.fill(9);
    const second = await files.get("p.png");
    expect(second.data[0]).toBe(gradient(50, 40).data[0]);
    const grey = await files.get("p.png", { mode: "L" });
    expect([grey.mode, grey.data.length]).toEqual(["L", 2000]);
    const rgba = await files.get("p.png", { mode: "RGBA" });
    expect(rgba.data[3]).toBe(255);
  });

  it("serves from a small LRU cache and reads from storage after eviction", async () => {
    await files.save("a.png", gradient(20, 20, 1));
    await files.save("b.png", gradient(20, 20, 2));
    // Files removed behind the service's back: cached images still load, evicted ones do not.
    await unlink(path.join(outputs, "images/a.png"));
    expect((await files.get("a.png")).data[0]).toBe(1);
    await files.save("c.png", gradient(20, 20, 3)); // cache size 2: evicts b (a was used more recently)
    await unlink(path.join(outputs, "images/b.png"));
    await expect(files.get("b.png")).rejects.toBeInstanceOf(ImageFileNotFoundError);
    expect((await files.get("a.png")).data[0]).toBe(1);
    // A fresh service (a restart) decodes from storage.
    const fresh = new ImageFiles({ blobs });
    expect((await fresh.get("c.png")).data[0]).toBe(3);
    await expect(fresh.get("a.png")).rejects.toThrow(/No image file "a.png"/);
  });

  it("decodes once for concurrent reads of an uncached image", async () => {
    await files.save("shared.png", gradient(30, 30));
    let reads = 0;
    const counting: BlobStore = {
      description: blobs.description,
      put: (key, data) => blobs.put(key, data),
      get: (key) => {
        reads++;
        return blobs.get(key);
      },
      getStream: (key) => blobs.getStream(key),
      exists: (key) => blobs.exists(key),
      delete: (key) => blobs.delete(key),
      stat: (key) => blobs.stat(key),
      list: (prefix) => blobs.list(prefix),
    };
    const fresh = new ImageFiles({ blobs: counting });
    const images = await Promise.all([
      fresh.get("shared.png"),
      fresh.get("shared.png"),
      fresh.get("shared.png", { mode: "L" }),
    ]);
    expect(reads).toBe(1);
    expect(images[0].data).not.toBe(images[1].data);
    expect(images[2].mode).toBe("L");
  });

  it("returns file and thumbnail bytes, and deletes both", async () => {
    await files.save("d.png", gradient(64, 64));
    const png = await files.getBytes("d.png");
    expect(Buffer.from(png.subarray(1, 4)).toString()).toBe("PNG");
    const webp = await files.getThumbnailBytes("d.png");
    expect(Buffer.from(webp.subarray(8, 12)).toString()).toBe("WEBP");
    expect(await files.exists("d.png")).toBe(true);
    expect(await files.delete("d.png")).toBe(true);
    expect(await filesUnder(outputs)).toEqual([]);
    expect(await files.exists("d.png")).toBe(false);
    expect(await files.delete("d.png")).toBe(false);
    const error = await files.get("d.png").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageFileNotFoundError);
    expect((error as ImageFileNotFoundError).status).toBe(404);
    await expect(files.getThumbnailBytes("d.png")).rejects.toThrow(/thumbnail of image "d.png"/);
  });

  it("saves encoded upload bytes (re-encoded as PNG) and refuses corrupt bytes without writing anything", async () => {
    const jpeg = await sharp(Buffer.from(gradient(100, 80).data), { raw: { width: 100, height: 80, channels: 3 } })
      .jpeg()
      .toBuffer();
    const saved = await files.save("up.png", jpeg, { metadata: '{"uploaded":true}' });
    expect([saved.width, saved.height]).toEqual([100, 80]);
    expect((await sharp(await files.getBytes("up.png")).metadata()).format).toBe("png");

    const png = await encodePng(gradient(64, 64));
    for (const bad of [Buffer.from("<html>not an image</html>"), png.subarray(0, png.length >> 1)]) {
      const error = await files.save("bad.png", bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidImageError);
      expect((error as InvalidImageError).status).toBe(400);
    }
    await expect(files.save("bad.png", sharp(Buffer.from("garbage")))).rejects.toBeInstanceOf(InvalidImageError);
    expect(await filesUnder(outputs)).toEqual(["images/thumbnails/up.webp", "images/up.png"]);
  });

  // Root ignores chmod, so an unwritable folder is simulated by a regular file where a folder must be (ENOTDIR).
  it("removes the PNG when the thumbnail cannot be written", async () => {
    await mkdir(path.join(outputs, "images"), { recursive: true });
    await writeFile(path.join(outputs, "images", "thumbnails"), "a file where the thumbnails folder should be");
    const error = await files.save("t.png", gradient(64, 64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect((error as BlobStorageError).message).toContain("images/thumbnails/t.webp");
    expect(await filesUnder(outputs)).toEqual(["images/thumbnails"]);
    await expect(files.get("t.png")).rejects.toBeInstanceOf(ImageFileNotFoundError);
  });

  it("removes the thumbnail when the PNG cannot be written", async () => {
    await mkdir(path.join(outputs, "images"), { recursive: true });
    await writeFile(path.join(outputs, "images", "sub"), "a file where the subfolder should be");
    const error = await files.save("s.png", gradient(64, 64), { subfolder: "sub" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect(await filesUnder(outputs)).toEqual(["images/sub"]);
  });

  it("fails cleanly when the whole outputs folder is unwritable", async () => {
    await writeFile(path.join(dir, "blocker"), "file");
    const blocked = new ImageFiles({ blobs: new FsBlobStore(path.join(dir, "blocker", "outputs")) });
    await expect(blocked.save("z.png", gradient(8, 8))).rejects.toBeInstanceOf(BlobStorageError);
    expect(await filesUnder(dir)).toEqual(["blocker"]);
  });

  it("refuses names and subfolders that are not plain relative names", async () => {
    for (const name of ["", "../x.png", "a/b.png", ".hidden.png", "a\\b.png"]) {
      await expect(files.save(name, gradient(4, 4)), name).rejects.toBeInstanceOf(InvalidImageNameError);
      await expect(files.get(name), name).rejects.toBeInstanceOf(InvalidImageNameError);
    }
    for (const subfolder of ["../up", "/abs", "a//b", "thumbnails", "thumbnails/x"]) {
      await expect(files.save("ok.png", gradient(4, 4), { subfolder }), subfolder).rejects.toBeInstanceOf(
        InvalidImageNameError,
      );
    }
    expect(await filesUnder(dir)).toEqual([]);
  });

  it("has no file path when the store is not on the local disk", async () => {
    const remote: BlobStore = {
      description: "bucket s3://example",
      put: (key, data) => blobs.put(key, data),
      get: (key) => blobs.get(key),
      getStream: (key) => blobs.getStream(key),
      exists: (key) => blobs.exists(key),
      delete: (key) => blobs.delete(key),
      stat: (key) => blobs.stat(key),
      list: (prefix) => blobs.list(prefix),
    };
    const remoteFiles = new ImageFiles({ blobs: remote });
    await remoteFiles.save("r.png", gradient(8, 8));
    expect(() => remoteFiles.getPath("r.png")).toThrow(ImagePathUnavailableError);
    expect((await remoteFiles.get("r.png")).width).toBe(8);
  });
});
