import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeSafetensors, type Tensor } from "@atelier/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlobStorageError, FsBlobStore } from "../../src/blobs/index.js";
import {
  ObjectCorruptError,
  ObjectNotFoundError,
  ObjectWriteError,
  TensorStore,
} from "../../src/object-store/index.js";
import { GatedBlobStore } from "./gated-blob-store.js";

let dir: string;
let outputs: string;
let blobs: FsBlobStore;

function latents(seed: number, shape: number[] = [1, 4, 8, 8]): Tensor<"float32"> {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 1000 + i);
  return { dtype: "float32", shape, data };
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "atelier-tensors-"));
  outputs = path.join(dir, "outputs");
  blobs = new FsBlobStore(outputs);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("TensorStore", () => {
  it("saves as a safetensors file under tensors/ and loads equal copies", async () => {
    const store = new TensorStore({ blobs });
    const tensor = latents(1);
    const name = await store.save(tensor);
    await store.flush();
    expect(name).toMatch(/^Tensor_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await filesUnder(outputs)).toEqual([`tensors/${name}.safetensors`]);
    // The file is plain safetensors, readable without the store.
    const file = decodeSafetensors(await readFile(path.join(outputs, "tensors", `${name}.safetensors`)));
    expect(file.tensors.tensor.shape).toEqual([1, 4, 8, 8]);
    expect(Array.from(file.tensors.tensor.data as Float32Array)).toEqual(Array.from(tensor.data));

    const loaded = await store.load(name);
    expect(loaded).toEqual(tensor);
    expect(loaded.data).not.toBe(tensor.data);
    (loaded.data as Float32Array).fill(0);
    tensor.data.fill(0);
    expect(await store.load(name)).toEqual(latents(1)); // neither caller can change the stored value
  });

  it.each([
    ["float16", new Uint16Array([0x3c00, 0xc000, 0x7bff])],
    ["bfloat16", new Uint16Array([0x3f80, 0x4000, 0xff80])],
    ["int64", new BigInt64Array([-(2n ** 62n), 0n, 42n])],
    ["int32", new Int32Array([-5, 7, 2 ** 30])],
    ["uint8", new Uint8Array([0, 128, 255])],
    ["bool", new Uint8Array([1, 0, 1])],
  ] as const)("round-trips %s tensors", async (dtype, data) => {
    const store = new TensorStore({ blobs });
    const tensor = { dtype, shape: [3], data } as Tensor;
    const name = await store.save(tensor);
    await store.flush();
    store.clearCache(); // the load below decodes the file
    expect(await store.load(name)).toEqual(tensor);
  });

  it("keeps tensors across restarts", async () => {
    const first = new TensorStore({ blobs });
    const name = await first.save(latents(2));
    await first.flush();
    const restarted = new TensorStore({ blobs: new FsBlobStore(outputs) });
    expect(await restarted.load(name)).toEqual(latents(2));
    expect(await restarted.exists(name)).toBe(true);
    const names: string[] = [];
    for await (const n of restarted.names()) names.push(n);
    expect(names).toEqual([name]);
  });

  it("serves loads from the memory cache within its byte budget (LRU)", async () => {
    const oneTensorBytes = 1 * 4 * 8 * 8 * 4;
    const store = new TensorStore({ blobs, cacheBytes: 2 * oneTensorBytes });
    const a = await store.save(latents(1));
    const b = await store.save(latents(2));
    await store.load(a); // a is now the most recently used
    const c = await store.save(latents(3)); // evicts b
    await store.flush();
    expect(store.cachedBytes).toBe(2 * oneTensorBytes);
    for (const name of [a, b, c]) await unlink(path.join(outputs, "tensors", `${name}.safetensors`));
    expect(await store.load(a)).toEqual(latents(1));
    expect(await store.load(c)).toEqual(latents(3));
    await expect(store.load(b)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it("does not cache a tensor larger than the whole budget", async () => {
    const store = new TensorStore({ blobs, cacheBytes: 100 });
    const name = await store.save(latents(4));
    await store.flush();
    expect(store.cachedBytes).toBe(0);
    expect(await store.load(name)).toEqual(latents(4));
    expect(store.cachedBytes).toBe(0);
  });

  it("deletes, tells onDeleted callbacks, and reports unknown names with a typed 404", async () => {
    const store = new TensorStore({ blobs });
    const name = await store.save(latents(5));
    const seen: string[] = [];
    const unsubscribe = store.onDeleted((n) => seen.push(n));
    await store.delete(name);
    expect(seen).toEqual([name]);
    expect(await filesUnder(outputs)).toEqual([]);
    const error = await store.load(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect((error as ObjectNotFoundError).status).toBe(404);
    expect((error as ObjectNotFoundError).message).toContain(name);
    await expect(store.delete(name)).rejects.toBeInstanceOf(ObjectNotFoundError);
    unsubscribe();
    await store.delete(await store.save(latents(6)));
    expect(seen).toEqual([name]);
  });

  it("keeps deleting when a callback throws, and reports the failure", async () => {
    const reported: string[] = [];
    const store = new TensorStore({ blobs, onCallbackError: (error, n) => reported.push(`${n}: ${String(error)}`) });
    const calls: string[] = [];
    store.onDeleted(() => {
      throw new Error("cache exploded");
    });
    store.onDeleted((n) => calls.push(n));
    const name = await store.save(latents(7));
    await store.delete(name);
    expect(calls).toEqual([name]);
    expect(reported).toEqual([`${name}: Error: cache exploded`]);
    expect(await store.exists(name)).toBe(false);
  });

  it("treats names that could escape the folder as unknown", async () => {
    const store = new TensorStore({ blobs });
    for (const name of ["../../etc/passwd", "Tensor_x/../../y", "", "a b", "Tensor_\0"]) {
      await expect(store.load(name), name).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.exists(name)).toBe(false);
    }
    await expect(store.load("Tensor_00000000-0000-0000-0000-000000000000")).rejects.toThrow(/Tensor "Tensor_0{8}-/);
  });

  it("reports a corrupt file as ObjectCorruptError naming the tensor", async () => {
    const store = new TensorStore({ blobs });
    const name = await store.save(latents(8));
    await store.flush();
    const file = path.join(outputs, "tensors", `${name}.safetensors`);
    const bytes = await readFile(file);
    const fresh = new TensorStore({ blobs });
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    const error = await fresh.load(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectCorruptError);
    expect((error as ObjectCorruptError).message).toContain(name);
    await writeFile(file, "garbage that is not safetensors");
    await expect(fresh.load(name)).rejects.toBeInstanceOf(ObjectCorruptError);
  });

  // Root ignores chmod; a file in place of the outputs folder's parent makes every write fail (ENOTDIR).
  it("reports a failed background write at flush and at load, once, leaving no file", async () => {
    await writeFile(path.join(dir, "blocker"), "file");
    const store = new TensorStore({ blobs: new FsBlobStore(path.join(dir, "blocker", "outputs")) });
    const name = await store.save(latents(9));
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectWriteError);
    expect((error as ObjectWriteError).message).toContain(name);
    expect((error as ObjectWriteError).cause).toBeInstanceOf(BlobStorageError);
    expect((error as ObjectWriteError).details).toMatchObject({ kind: "Tensor", names: [name] });
    await expect(store.flush()).resolves.toBeUndefined(); // reported once
    await expect(store.load(name)).rejects.toBeInstanceOf(ObjectWriteError);
    expect(await store.exists(name)).toBe(false);
    expect(store.cachedBytes).toBe(0);
    expect(await filesUnder(dir)).toEqual(["blocker"]);
    const deleted: string[] = [];
    store.onDeleted((n) => deleted.push(n));
    await store.delete(name); // forgetting a failed value is allowed
    expect(deleted).toEqual([name]);
    await expect(store.load(name)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it("fails save itself when it waits for its own write (maxPendingWrites 0)", async () => {
    await writeFile(path.join(dir, "blocker"), "file");
    const store = new TensorStore({
      blobs: new FsBlobStore(path.join(dir, "blocker", "outputs")),
      maxPendingWrites: 0,
    });
    const error = await store.save(latents(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectWriteError);
    expect((error as ObjectWriteError).cause).toBeInstanceOf(BlobStorageError);
    await expect(store.flush()).resolves.toBeUndefined(); // already reported by save
    expect(await filesUnder(dir)).toEqual(["blocker"]);
  });

  it("returns from save before the file is written, serves loads meanwhile, and flush waits for the file", async () => {
    const gated = new GatedBlobStore(blobs);
    const store = new TensorStore({ blobs: gated });
    const name = await store.save(latents(11));
    expect(gated.waiting).toBe(0); // the write starts once the event loop turns
    await new Promise((r) => setImmediate(r));
    expect(gated.waiting).toBe(1);
    expect(store.pendingWrites).toBe(1);
    expect(await filesUnder(outputs)).toEqual([]);
    store.clearCache(); // the bytes being written still serve loads
    expect(await store.load(name)).toEqual(latents(11));
    expect(await store.exists(name)).toBe(true);
    let flushed = false;
    const flushing = store.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed).toBe(false);
    gated.open();
    await flushing;
    expect(store.pendingWrites).toBe(0);
    expect(await filesUnder(outputs)).toEqual([`tensors/${name}.safetensors`]);
  });

  it("reuses the buffer of a value that left the cache, never one whose file is still being written", async () => {
    const shape = [1, 4, 128, 128]; // 256 KiB: large enough to be recycled
    const bytes = 4 * 128 * 128 * 4;
    const gated = new GatedBlobStore(blobs);
    const store = new TensorStore({ blobs: gated, cacheBytes: 2 * bytes });
    const names = [];
    for (const seed of [1, 2, 3, 4]) names.push(await store.save(latents(seed, shape))); // 1 and 2 are evicted
    expect(store.recycledBytes).toBe(0); // their files are still being written from those buffers
    gated.open();
    await store.flush();
    expect(store.recycledBytes).toBeGreaterThanOrEqual(2 * bytes);
    for (const [i, name] of names.entries()) {
      const file = decodeSafetensors(await readFile(path.join(outputs, "tensors", `${name}.safetensors`)));
      expect(file.tensors.tensor).toEqual(latents(i + 1, shape));
    }
    const loaded = await store.load(names[3]);
    const recycled = store.recycledBytes;
    names.push(await store.save(latents(5, shape)));
    // It pushed value 3 out (whose buffer joins the free ones) and took one: without reuse there would be one more.
    expect(store.recycledBytes).toBe(recycled);
    names.push(await store.save(latents(6, shape)));
    await store.flush();
    expect(loaded).toEqual(latents(4, shape)); // a loaded copy never shares a recycled buffer
    for (const [i, name] of names.entries()) expect(await store.load(name)).toEqual(latents(i + 1, shape));
    store.clearCache();
    expect(store.recycledBytes).toBe(0);
    for (const [i, name] of names.entries()) expect(await store.load(name)).toEqual(latents(i + 1, shape));
  });

  it("makes save wait once too many writes are in flight", async () => {
    const gated = new GatedBlobStore(blobs);
    const store = new TensorStore({ blobs: gated, maxPendingWrites: 1 });
    await store.save(latents(12));
    let second = false;
    const saving = store.save(latents(13)).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    gated.open();
    await saving;
    await store.flush();
    expect(await filesUnder(outputs)).toHaveLength(2);
  });

  it("waits for an in-flight write before deleting, so no file reappears", async () => {
    const gated = new GatedBlobStore(blobs);
    const store = new TensorStore({ blobs: gated });
    const name = await store.save(latents(14));
    const deleting = store.delete(name);
    gated.open();
    await deleting;
    await store.flush();
    expect(await filesUnder(outputs)).toEqual([]);
    await expect(store.load(name)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });
});
