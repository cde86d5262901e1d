import { mkdtemp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BlobNotFoundError,
  BlobStorageError,
  FsBlobStore,
  InvalidBlobKeyError,
  TEMP_FILE_PREFIX,
} from "../../src/blobs/index.js";

let dir: string;
let store: FsBlobStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "atelier-blobs-"));
  store = new FsBlobStore(path.join(dir, "root"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file below `root`, relative, sorted: proves what is (and is not) left on disk. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("FsBlobStore", () => {
  it("stores bytes under nested keys as plain files and reads them back", async () => {
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await store.put("images/ab/one.png", bytes);
    expect(new Uint8Array(await store.get("images/ab/one.png"))).toEqual(bytes);
    expect(new Uint8Array(await readFile(path.join(dir, "root/images/ab/one.png")))).toEqual(bytes);
    expect(store.localPath("images/ab/one.png")).toBe(path.join(dir, "root", "images", "ab", "one.png"));
    expect(await store.exists("images/ab/one.png")).toBe(true);
    expect(await store.exists("images/ab/two.png")).toBe(false);
    expect(await store.exists("images/ab")).toBe(false); // a folder is not a blob
    const info = await store.stat("images/ab/one.png");
    expect(info.size).toBe(4);
    expect(info.modifiedAt).toBeInstanceOf(Date);
  });

  it("replaces a blob on a second put and leaves no temp files", async () => {
    await store.put("a/b.bin", Buffer.from("first"));
    await store.put("a/b.bin", Buffer.from("second, longer"));
    expect(Buffer.from(await store.get("a/b.bin")).toString()).toBe("second, longer");
    expect(await filesUnder(store.root)).toEqual(["a/b.bin"]);
  });

  it("accepts streams and async iterables, and streams blobs out", async () => {
    await store.put("s/readable.txt", Readable.from([Buffer.from("hello "), Buffer.from("world")]));
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100; i++) yield new Uint8Array(1000).fill(i);
    }
    await store.put("s/iterable.bin", chunks());
    expect(Buffer.from(await store.get("s/readable.txt")).toString()).toBe("hello world");
    const back = await store.get("s/iterable.bin");
    expect(back.length).toBe(100_000);
    expect(back[99_999]).toBe(99);
    const parts: Buffer[] = [];
    for await (const part of await store.getStream("s/readable.txt")) parts.push(part as Buffer);
    expect(Buffer.concat(parts).toString()).toBe("hello world");
  });

  it("reports missing blobs with a typed 404 error naming the key", async () => {
    for (const attempt of [
      () => store.get("nope/x.png"),
      () => store.getStream("nope/x.png"),
      () => store.stat("nope/x.png"),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobNotFoundError);
      expect((error as BlobNotFoundError).status).toBe(404);
      expect((error as BlobNotFoundError).message).toContain("nope/x.png");
    }
    await mkdir(path.join(store.root, "folder"), { recursive: true });
    await expect(store.get("folder")).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.getStream("folder")).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("deletes idempotently", async () => {
    await store.put("d/x", new Uint8Array([1]));
    expect(await store.delete("d/x")).toBe(true);
    expect(await store.delete("d/x")).toBe(false);
    expect(await store.delete("never/was")).toBe(false);
    await expect(store.get("d/x")).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("refuses keys that escape the root or are not clean relative keys, writing nothing", async () => {
    const bad = [
      "",
      "../outside",
      "a/../../outside",
      "/etc/passwd",
      "a//b",
      "a/./b",
      "a/",
      "a\\b",
      "C:/x",
      "a\0b",
      `a/${TEMP_FILE_PREFIX}x`,
      "x".repeat(1100),
    ];
    for (const key of bad) {
      await expect(store.put(key, new Uint8Array([1])), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(() => store.localPath(key), key).toThrow(InvalidBlobKeyError);
    }
    const error = await store.put("../outside", new Uint8Array([1])).catch((e: unknown) => e);
    expect((error as InvalidBlobKeyError).code).toBe("invalid_blob_key");
    expect((error as InvalidBlobKeyError).message).toContain("../outside");
    expect(await filesUnder(dir)).toEqual([]);
  });

  it("lists keys by plain string prefix, sorted, skipping in-progress writes", async () => {
    for (const key of [
      "images/b.png",
      "images/a.png",
      "images/thumbnails/a.webp",
      "images/2024/01/c.png",
      "tensors/t1",
      "imagesque",
    ]) {
      await store.put(key, new Uint8Array([1]));
    }
    await writeFile(path.join(store.root, "images", `${TEMP_FILE_PREFIX}abc`), "partial");
    expect(await collect(store.list("images/"))).toEqual([
      "images/2024/01/c.png",
      "images/a.png",
      "images/b.png",
      "images/thumbnails/a.webp",
    ]);
    expect(await collect(store.list("images/thumb"))).toEqual(["images/thumbnails/a.webp"]);
    expect(await collect(store.list("images"))).toEqual([
      "images/2024/01/c.png",
      "images/a.png",
      "images/b.png",
      "images/thumbnails/a.webp",
      "imagesque",
    ]);
    expect(await collect(store.list(""))).toHaveLength(6);
    expect(await collect(store.list("missing/"))).toEqual([]);
  });

  it("never shows a half-written blob under its key", async () => {
    await store.put("big.bin", Buffer.from("old"));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("new-part-1 ");
      await gate;
      yield Buffer.from("new-part-2");
    }
    const writing = store.put("big.bin", slow());
    await new Promise((r) => setTimeout(r, 50));
    // Mid-write: the key still holds the old blob, the temp file is invisible to listings.
    expect(Buffer.from(await store.get("big.bin")).toString()).toBe("old");
    expect(await collect(store.list(""))).toEqual(["big.bin"]);
    expect((await filesUnder(store.root)).some((f) => f.startsWith(TEMP_FILE_PREFIX))).toBe(true);
    release();
    await writing;
    expect(Buffer.from(await store.get("big.bin")).toString()).toBe("new-part-1 new-part-2");
    expect(await filesUnder(store.root)).toEqual(["big.bin"]);
  });

  it("removes the temp file and keeps the old blob when a stream fails mid-write", async () => {
    await store.put("u/upload.png", Buffer.from("previous"));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(64 * 1024, 7);
      throw new Error("client went away");
    }
    const error = await store.put("u/upload.png", failing()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect((error as BlobStorageError).message).toContain("client went away");
    expect((error as BlobStorageError).message).toContain("u/upload.png");
    expect(Buffer.from(await store.get("u/upload.png")).toString()).toBe("previous");
    expect(await filesUnder(store.root)).toEqual(["u/upload.png"]);
  });

  // Tests run as root, which ignores permission bits (chmod 500 would not stop a write). A path whose parent is a
  // regular file fails for every user, root included (ENOTDIR), so it stands in for an unwritable folder.
  it("fails with a typed error and no orphan files when the root folder cannot be created", async () => {
    await writeFile(path.join(dir, "not-a-folder"), "I am a file");
    const blocked = new FsBlobStore(path.join(dir, "not-a-folder", "outputs"));
    const error = await blocked.put("images/x.png", new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect((error as BlobStorageError).code).toBe("blob_storage_failed");
    expect((error as BlobStorageError).details).toMatchObject({
      operation: "put",
      key: "images/x.png",
      errno: "ENOTDIR",
    });
    expect((error as BlobStorageError).message).toContain(path.join(dir, "not-a-folder", "outputs"));
    expect(await filesUnder(dir)).toEqual(["not-a-folder"]);
    // Reading through such a path is simply "not found", not a crash.
    await expect(blocked.get("images/x.png")).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await blocked.exists("images/x.png")).toBe(false);
  });

  it("fails cleanly when the key's own path is a folder", async () => {
    await mkdir(path.join(store.root, "taken", "inner"), { recursive: true });
    const error = await store.put("taken", new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect(await filesUnder(store.root)).toEqual([]);
  });

  it("recreates a folder removed behind its back", async () => {
    await store.put("gone/a", new Uint8Array([1]));
    await rm(path.join(store.root, "gone"), { recursive: true });
    await store.put("gone/b", new Uint8Array([2]));
    expect(Array.from(await store.get("gone/b"))).toEqual([2]);
  });

  it("writes with fsync when asked", async () => {
    const durable = new FsBlobStore(path.join(dir, "durable"), { fsync: true });
    await durable.put("x/y", new Uint8Array([9, 9]));
    await durable.put("x/z", Readable.from([Buffer.from("streamed")]));
    expect(Array.from(await durable.get("x/y"))).toEqual([9, 9]);
    expect(Buffer.from(await durable.get("x/z")).toString()).toBe("streamed");
  });

  it("sweeps temp files left by a crash, sparing recent ones", async () => {
    await store.put("k/keep", new Uint8Array([1]));
    const stale = path.join(store.root, "k", `${TEMP_FILE_PREFIX}stale`);
    const fresh = path.join(store.root, "k", `${TEMP_FILE_PREFIX}fresh`);
    await writeFile(stale, "half");
    await writeFile(fresh, "in flight");
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    expect(await store.removeStaleTempFiles()).toBe(1);
    await expect(stat(stale)).rejects.toThrow();
    expect((await stat(fresh)).isFile()).toBe(true);
    expect(await filesUnder(store.root)).toEqual(["k/.atelier-tmp-fresh", "k/keep"]);
  });
});
