import { mkdtemp, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSafetensors, float32ToFloat16Bits, type Tensor } from "@atelier/core";
import { LazyStateDict, ModelLoadError, UnknownTensorError } from "@atelier/engine";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-lazy-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ramp(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i * scale);
}

async function writeModel(name: string, tensors: Record<string, Tensor>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, encodeSafetensors(tensors, { format: "pt" }));
  return path;
}

describe("LazyStateDict", () => {
  it("reads nothing but the header on open, then each tensor by range on first access", async () => {
    const half = Uint16Array.from([1, -2, 0.5].map(float32ToFloat16Bits));
    const path = await writeModel("a.safetensors", {
      "unet.conv.weight": { dtype: "float32", shape: [4, 8], data: ramp(32) },
      "unet.conv.bias": { dtype: "float32", shape: [4], data: ramp(4, -1) },
      "vae.scale": { dtype: "float16", shape: [3], data: half },
      steps: { dtype: "int64", shape: [2], data: BigInt64Array.from([5n, -7n]) },
    });
    const dict = await LazyStateDict.open(path);
    expect(dict.loadedBytes).toBe(0);
    expect([...dict.keys()].sort()).toEqual(["steps", "unet.conv.bias", "unet.conv.weight", "vae.scale"]);
    expect(dict.info("unet.conv.weight")).toMatchObject({ dtype: "F32", shape: [4, 8], byteLength: 128 });
    expect(dict.sizeBytes).toBe(128 + 16 + 6 + 16);
    expect(dict.metadata).toEqual({ format: "pt" });

    const weight = await dict.get("unet.conv.weight");
    expect(dict.loadedBytes).toBe(128);
    expect(weight).toEqual({ dtype: "float32", shape: [4, 8], data: ramp(32) });
    expect(await dict.get("unet.conv.weight")).toBe(weight); // cached, not read again
    expect(dict.loadedBytes).toBe(128);
    expect((await dict.get("vae.scale")).data).toEqual(half);
    expect((await dict.get("steps")).data).toEqual(BigInt64Array.from([5n, -7n]));

    const unet = dict.view("unet.");
    expect([...unet.keys()].sort()).toEqual(["conv.bias", "conv.weight"]);
    expect(unet.sizeBytes).toBe(144);
    expect((await unet.get("conv.bias")).data).toEqual(ramp(4, -1));
    expect(await unet.get("conv.weight")).toBe(weight); // views share what was read
    await expect(unet.get("vae.scale")).rejects.toBeInstanceOf(UnknownTensorError);
    await dict.close();
    await expect(dict.get("unet.conv.bias")).rejects.toThrow(/state dict was closed/);
  });

  it("fails clearly on a truncated file (at open) and on a file cut after opening (at read)", async () => {
    const path = await writeModel("cut.safetensors", { big: { dtype: "float32", shape: [1000], data: ramp(1000) } });
    const { size } = await stat(path);
    await truncate(path, size - 10);
    const error = await LazyStateDict.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(
      /cut\.safetensors: invalid or truncated safetensors file: .*go beyond the 3990 bytes of tensor data/,
    );

    const later = await writeModel("later.safetensors", { big: { dtype: "float32", shape: [1000], data: ramp(1000) } });
    const dict = await LazyStateDict.open(later);
    await truncate(later, 500);
    await expect(dict.get("big")).rejects.toThrow(
      /the file is truncated: the tensor needs bytes \d+-\d+ but the file ends at 500/,
    );
    await dict.close();

    await writeFile(join(dir, "garbage.safetensors"), "not a safetensors file at all");
    await expect(LazyStateDict.open(join(dir, "garbage.safetensors"))).rejects.toThrow(
      /invalid or truncated safetensors file/,
    );
  });

  it("joins the shards of a sharded checkpoint into one dict, and refuses a tensor in two shards", async () => {
    const one = await writeModel("model-00001-of-00002.safetensors", {
      "a.weight": { dtype: "float32", shape: [2], data: ramp(2) },
    });
    const two = await writeModel("model-00002-of-00002.safetensors", {
      "b.weight": { dtype: "float32", shape: [3], data: ramp(3, 2) },
    });
    const dict = await LazyStateDict.open([one, two]);
    expect([...dict.keys()].sort()).toEqual(["a.weight", "b.weight"]);
    expect(dict.info("b.weight").file).toBe(two);
    const all = await dict.loadAll();
    expect(all.get("b.weight")!.data).toEqual(ramp(3, 2));
    expect(dict.loadedBytes).toBe(20);
    await dict.close();
    await expect(LazyStateDict.open([one, one])).rejects.toThrow(/tensor "a\.weight" is also in/);
  });

  it("gives raw bytes for dtypes that do not decode (F8)", async () => {
    const path = join(dir, "f8.safetensors");
    const header = Buffer.from(
      JSON.stringify({ w: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }).padEnd(56, " "),
    );
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    await writeFile(path, Buffer.concat([length, header, Buffer.from([1, 2, 3, 4])]));
    const dict = await LazyStateDict.open(path);
    await expect(dict.get("w")).rejects.toThrow(/dtype F8_E4M3 does not decode to a Tensor; use getBytes/);
    expect([...(await dict.getBytes("w"))]).toEqual([1, 2, 3, 4]);
    await dict.close();
  });
});
