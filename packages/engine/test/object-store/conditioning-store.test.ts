import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeSafetensors, encodeSafetensors, type ConditioningFieldData, type Tensor } from "@atelier/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsBlobStore } from "../../src/blobs/index.js";
import {
  CONDITIONING_HEADER_KEY,
  ConditioningStore,
  InvalidConditioningError,
  ObjectCorruptError,
  ObjectNotFoundError,
} from "../../src/object-store/index.js";

let dir: string;
let outputs: string;
let store: ConditioningStore;

function t(shape: number[], seed: number): Tensor<"float32"> {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = seed + i / 1000;
  return { dtype: "float32", shape, data };
}

const SAMPLES: [string, ConditioningFieldData][] = [
  ["basic", { conditionings: [{ kind: "basic", embeds: t([1, 77, 16], 1) }] }],
  [
    "sdxl",
    {
      conditionings: [
        { kind: "sdxl", embeds: t([1, 77, 32], 2), pooled_embeds: t([1, 12], 3), add_time_ids: t([1, 6], 4) },
        { kind: "sdxl", embeds: t([1, 77, 32], 5), pooled_embeds: t([1, 12], 6), add_time_ids: t([1, 6], 7) },
      ],
    },
  ],
  [
    "flux",
    {
      conditionings: [
        {
          kind: "flux",
          clip_embeds: t([1, 8], 8),
          t5_embeds: { dtype: "bfloat16", shape: [1, 4, 2], data: new Uint16Array(8).fill(0x3f80) },
        },
      ],
    },
  ],
  [
    "sd3",
    {
      conditionings: [
        {
          kind: "sd3",
          clip_l_pooled_embeds: t([1, 4], 9),
          clip_l_embeds: t([1, 7, 4], 10),
          clip_g_pooled_embeds: t([1, 5], 11),
          clip_g_embeds: t([1, 7, 5], 12),
          t5_embeds: null,
        },
        {
          kind: "sd3",
          clip_l_pooled_embeds: t([1, 4], 13),
          clip_l_embeds: t([1, 7, 4], 14),
          clip_g_pooled_embeds: t([1, 5], 15),
          clip_g_embeds: t([1, 7, 5], 16),
          t5_embeds: t([1, 9, 3], 17),
        },
      ],
    },
  ],
  ["empty", { conditionings: [] }],
];
const sample = (kind: string): ConditioningFieldData => SAMPLES.find(([k]) => k === kind)![1];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "atelier-conditioning-"));
  outputs = path.join(dir, "outputs");
  store = new ConditioningStore({ blobs: new FsBlobStore(outputs) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ConditioningStore", () => {
  it.each(SAMPLES)("round-trips %s conditioning through memory and disk", async (_kind, value) => {
    const name = await store.save(value);
    expect(name).toMatch(/^ConditioningFieldData_[0-9a-f-]{36}$/);
    expect(await store.load(name)).toEqual(value);
    await store.flush();
    const restarted = new ConditioningStore({ blobs: new FsBlobStore(outputs) });
    expect(await restarted.load(name)).toEqual(value);
  });

  it("keeps SDXL-sized conditioning exact when saves reuse the buffers of values the cache let go", async () => {
    const sdxl = (seed: number): ConditioningFieldData => ({
      conditionings: [
        {
          kind: "sdxl",
          embeds: t([1, 77, 2048], seed),
          pooled_embeds: t([1, 1280], seed + 0.5),
          add_time_ids: t([1, 6], seed + 0.25),
        },
      ],
    });
    const oneValueBytes = (77 * 2048 + 1280 + 6) * 4;
    const small = new ConditioningStore({ blobs: new FsBlobStore(outputs), cacheBytes: 2 * oneValueBytes });
    const names: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      names.push(await small.save(sdxl(seed)));
      await small.flush(); // the pushed-out value's buffer is free for the next save
    }
    expect(small.recycledBytes).toBeGreaterThan(0);
    // Byte comparison: a deep toEqual over 160,000-element arrays takes seconds.
    const same = (got: ConditioningFieldData, want: ConditioningFieldData) => {
      const [g, w] = [got, want].map((v) => v.conditionings[0] as unknown as Record<string, Tensor | string>);
      for (const field of ["embeds", "pooled_embeds", "add_time_ids"]) {
        const [a, b] = [g[field], w[field]] as Tensor[];
        expect(a.shape).toEqual(b.shape);
        expect(
          Buffer.compare(
            Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
            Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
          ),
        ).toBe(0);
      }
      expect(g.kind).toBe("sdxl");
    };
    for (const [i, name] of names.entries()) same(await small.load(name), sdxl(i + 1));
    const restarted = new ConditioningStore({ blobs: new FsBlobStore(outputs) });
    for (const [i, name] of names.entries()) same(await restarted.load(name), sdxl(i + 1));
  });

  it("stores one safetensors file with every tensor and a JSON layout in the metadata", async () => {
    const name = await store.save(sample("sdxl"));
    await store.flush();
    const file = decodeSafetensors(await readFile(path.join(outputs, "conditioning", `${name}.safetensors`)));
    expect(Object.keys(file.tensors).sort()).toEqual([
      "conditionings.0.add_time_ids",
      "conditionings.0.embeds",
      "conditionings.0.pooled_embeds",
      "conditionings.1.add_time_ids",
      "conditionings.1.embeds",
      "conditionings.1.pooled_embeds",
    ]);
    expect(JSON.parse(file.metadata[CONDITIONING_HEADER_KEY])).toEqual({
      version: 1,
      conditionings: [0, 1].map((i) => ({
        kind: "sdxl",
        tensors: {
          embeds: `conditionings.${i}.embeds`,
          pooled_embeds: `conditionings.${i}.pooled_embeds`,
          add_time_ids: `conditionings.${i}.add_time_ids`,
        },
      })),
    });
  });

  it("returns deep copies", async () => {
    const name = await store.save(sample("basic"));
    const first = await store.load(name);
    const entry = first.conditionings[0];
    if (entry.kind !== "basic") throw new Error(`kind changed to ${entry.kind}`);
    (entry.embeds.data as Float32Array).fill(0);
    const again = await store.load(name);
    expect(again).toEqual(sample("basic"));
    await store.flush();
  });

  it("refuses malformed conditioning before writing anything", async () => {
    const tensors = {
      clip_l_pooled_embeds: t([1], 1),
      clip_l_embeds: t([1], 1),
      clip_g_pooled_embeds: t([1], 1),
      clip_g_embeds: t([1], 1),
    };
    const bad = [
      { conditionings: [{ kind: "sdxl", embeds: t([1], 1) }] },
      { conditionings: [{ kind: "cogview", embeds: t([1], 1) }] },
      { conditionings: [{ embeds: t([1], 1) }] },
      { conditionings: [{ kind: "flux", clip_embeds: t([1], 1), t5_embeds: "nope" }] },
      { conditionings: [{ kind: "sd3", ...tensors, t5_embeds: 5 }] },
      {
        conditionings: [
          { kind: "basic", embeds: t([1], 1) },
          { kind: "sd3", ...tensors, t5_embeds: null },
        ],
      },
      { conditionings: "none" },
    ] as unknown as ConditioningFieldData[];
    for (const data of bad) {
      const error = await store.save(data).catch((e: unknown) => e);
      expect(error, JSON.stringify(data)).toBeInstanceOf(InvalidConditioningError);
    }
    await expect(store.save(bad[0])).rejects.toThrow(/sdxl conditioning 0 has no tensor in field "pooled_embeds"/);
    expect(await readdir(outputs).catch(() => [])).toEqual([]);
  });

  it("reports files without a valid layout as corrupt, and unknown names as not found", async () => {
    const name = await store.save(sample("basic"));
    await store.flush();
    const file = path.join(outputs, "conditioning", `${name}.safetensors`);
    const fresh = new ConditioningStore({ blobs: new FsBlobStore(outputs) });
    await writeFile(file, encodeSafetensors({ x: t([1], 1) }));
    await expect(fresh.load(name)).rejects.toBeInstanceOf(ObjectCorruptError);
    await writeFile(
      file,
      encodeSafetensors(
        { x: t([1], 1) },
        {
          [CONDITIONING_HEADER_KEY]: JSON.stringify({
            version: 1,
            conditionings: [{ kind: "basic", tensors: { embeds: "missing" } }],
          }),
        },
      ),
    );
    await expect(fresh.load(name)).rejects.toThrow(/field "embeds" has no tensor/);
    const error = await fresh.load("ConditioningFieldData_nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect((error as ObjectNotFoundError).message).toContain("ConditioningFieldData_nope");
  });

  it("fires onDeleted on delete", async () => {
    const seen: string[] = [];
    store.onDeleted((n) => seen.push(n));
    const name = await store.save(sample("flux"));
    await store.delete(name);
    expect(seen).toEqual([name]);
    await expect(store.load(name)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });
});
