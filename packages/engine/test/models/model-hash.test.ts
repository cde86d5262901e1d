import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBLAKE3 } from "hash-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blake3Implementation, hashFile, hashModel, modelHashFiles } from "@atelier/engine";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-hash-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** BLAKE3 by the WASM implementation, in one piece: an independent reference for the streamed native hash. */
async function referenceBlake3(bytes: Uint8Array): Promise<string> {
  const hasher = await createBLAKE3();
  hasher.init();
  hasher.update(bytes);
  return hasher.digest("hex");
}

describe("model hashing", () => {
  it("hashes a file's bytes with BLAKE3 (the published test vector, and streamed across chunk boundaries)", async () => {
    expect(await blake3Implementation()).toBe("native");
    const abc = join(dir, "abc.bin");
    await writeFile(abc, "abc");
    expect(await hashModel(abc)).toBe("blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");

    // 8 MiB chunks: a file of 2 chunks and a bit crosses both the buffer swap and a short last read.
    const bytes = randomBytes(2 * 8 * 1024 * 1024 + 12345);
    const big = join(dir, "big.safetensors");
    await writeFile(big, bytes);
    const progress: number[] = [];
    const hex = await hashFile(big, { onProgress: (n) => progress.push(n) });
    expect(hex).toBe(await referenceBlake3(bytes));
    expect(progress.at(-1)).toBe(bytes.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("hashes a folder as the BLAKE3 of its sorted weight files' digests, ignoring configs", async () => {
    const folder = join(dir, "pipeline");
    const files: Record<string, Buffer> = {
      "unet/diffusion_pytorch_model.safetensors": randomBytes(1000),
      "vae/diffusion_pytorch_model.safetensors": randomBytes(700),
      "text_encoder/model.safetensors": randomBytes(500),
      "text_encoder-2/model.bin": randomBytes(300),
    };
    for (const [path, data] of Object.entries(files)) {
      await mkdir(join(folder, path, ".."), { recursive: true });
      await writeFile(join(folder, path), data);
    }
    await writeFile(join(folder, "model_index.json"), "{}");
    await writeFile(join(folder, "unet/config.json"), "{}");

    // Path components sort as Python's Path does: "text_encoder" before "text_encoder-2".
    const order = [
      "text_encoder/model.safetensors",
      "text_encoder-2/model.bin",
      "unet/diffusion_pytorch_model.safetensors",
      "vae/diffusion_pytorch_model.safetensors",
    ];
    expect(await modelHashFiles(folder)).toEqual(order);
    const digests = await Promise.all(order.map((p) => referenceBlake3(files[p])));
    const expected = await referenceBlake3(Buffer.from(digests.join("")));
    expect(await hashModel(folder)).toBe(`blake3:${expected}`);
    expect(await hashModel(folder, { algorithm: "blake3_multi" })).toBe(`blake3:${expected}`);

    // Configs do not take part; weights do.
    await writeFile(join(folder, "unet/config.json"), '{"changed": true}');
    expect(await hashModel(folder)).toBe(`blake3:${expected}`);
    await writeFile(join(folder, "vae/diffusion_pytorch_model.safetensors"), randomBytes(700));
    expect(await hashModel(folder)).not.toBe(`blake3:${expected}`);
  });

  it("supports the other algorithms with their prefix, and a random one for tests", async () => {
    const path = join(dir, "small.safetensors");
    const data = randomBytes(4096);
    await writeFile(path, data);
    expect(await hashModel(path, { algorithm: "sha256" })).toBe(
      `sha256:${createHash("sha256").update(data).digest("hex")}`,
    );
    expect(await hashModel(path, { algorithm: "sha3_256" })).toBe(
      `sha3_256:${createHash("sha3-256").update(data).digest("hex")}`,
    );
    const a = await hashModel(path, { algorithm: "random" });
    const b = await hashModel(path, { algorithm: "random" });
    expect(a).toMatch(/^random:[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it("stops with CanceledError when its signal is aborted", async () => {
    const path = join(dir, "cancel.safetensors");
    await writeFile(path, randomBytes(3 * 8 * 1024 * 1024));
    const controller = new AbortController();
    controller.abort();
    await expect(hashModel(path, { signal: controller.signal })).rejects.toMatchObject({ code: "canceled" });
  });
});
