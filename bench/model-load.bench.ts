/**
 * Loading a 1 GB safetensors state dict (created here in a temp folder, deleted at the end): time to open it (header
 * only), to the first tensor, and to every tensor, through LazyStateDict and through the model cache's
 * loadLocalModel. Run: npx tsx bench/model-load.bench.ts   (SIZE_MB=n, TENSORS=n, RUNS=n to change the shape)
 * The file was just written, so reads mostly come from the page cache.
 */
import { randomFillSync } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LazyStateDict, ModelCache, ModelLoaderRegistry, ModelLoadService } from "../packages/engine/src/index.js";

const MB = 1024 * 1024;
const sizeMb = Number(process.env.SIZE_MB ?? 1024);
const tensorCount = Number(process.env.TENSORS ?? 256);
const runs = Number(process.env.RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A safetensors file of `tensorCount` float16 tensors of equal size with random bytes. */
async function writeModel(path: string): Promise<void> {
  const tensorBytes = Math.floor((sizeMb * MB) / tensorCount / 2) * 2;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (let i = 0; i < tensorCount; i++) {
    header[`model.layers.${i}.weight`] = {
      dtype: "F16",
      shape: [tensorBytes / 2],
      data_offsets: [i * tensorBytes, (i + 1) * tensorBytes],
    };
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded));
  json.copy(head, 8);
  const handle = await open(path, "w");
  try {
    await handle.write(head);
    const block = Buffer.allocUnsafe(tensorBytes);
    for (let i = 0; i < tensorCount; i++) {
      randomFillSync(block);
      await handle.write(block);
    }
  } finally {
    await handle.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), "atelier-load-bench-"));
try {
  const file = join(dir, "model.safetensors");
  console.log(`writing a ${sizeMb} MB safetensors file (${tensorCount} tensors) in ${dir} …`);
  await writeModel(file);

  // Through the model cache first (before the runs below leave a gigabyte of garbage to collect): the first load
  // opens the file, a second load of the key is a cache hit.
  const cache = new ModelCache({ maxBytes: 4 * 1024 * MB });
  const load = new ModelLoadService({ cache, registry: new ModelLoaderRegistry(), resolvePath: (p) => p });
  const t0 = performance.now();
  const loaded = await load.loadLocalModel(file);
  const t1 = performance.now();
  await loaded.use((model) => (model as LazyStateDict).get("model.layers.0.weight"));
  const t2 = performance.now();
  await load.loadLocalModel(file);
  const t3 = performance.now();
  console.log(
    `loadLocalModel  load ${(t1 - t0).toFixed(2)} ms | first tensor ${(t2 - t0).toFixed(2)} ms | cached reload ${(t3 - t2).toFixed(3)} ms`,
  );
  cache.clear();

  const open_: number[] = [];
  const first: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const dict = await LazyStateDict.open(file);
    const t1 = performance.now();
    await dict.get("model.layers.0.weight");
    const t2 = performance.now();
    await dict.loadAll();
    const t3 = performance.now();
    await dict.close();
    open_.push(t1 - t0);
    first.push(t2 - t0);
    all.push(t3 - t0);
  }
  const allMs = median(all);
  console.log(
    `LazyStateDict   open (header only) ${median(open_).toFixed(2)} ms | first tensor ${median(first).toFixed(2)} ms | all tensors ${allMs.toFixed(0)} ms (${(sizeMb / (allMs / 1000)).toFixed(0)} MB/s)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
