/**
 * Model hashing throughput on a 2 GB file (created here in a temp folder, deleted at the end), beside the disk-read
 * ceiling: the same file read with the same 8 MiB chunks and no hashing. Prints MB/s of each run and the median.
 * Run: npx tsx bench/model-hash.bench.ts   (SIZE_MB=n to change the file size, RUNS=n the run count)
 * The file was just written, so reads mostly come from the page cache: the ceiling is the memory path, not the disk.
 */
import { randomFillSync } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBLAKE3 } from "hash-wasm";
import { blake3Implementation, hashModel } from "../packages/engine/src/index.js";

const MB = 1024 * 1024;
const sizeMb = Number(process.env.SIZE_MB ?? 2048);
const runs = Number(process.env.RUNS ?? 3);
const CHUNK = 8 * MB;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function writeRandomFile(path: string): Promise<void> {
  const handle = await open(path, "w");
  const block = Buffer.allocUnsafe(64 * MB);
  try {
    for (let written = 0; written < sizeMb * MB; written += block.length) {
      randomFillSync(block);
      await handle.write(block, 0, Math.min(block.length, sizeMb * MB - written));
    }
  } finally {
    await handle.close();
  }
}

/** Reads the file as hashFile does (two alternating 8 MiB buffers), doing nothing with the bytes. */
async function readOnly(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
    let position = 0;
    let which = 0;
    let pending = handle.read(buffers[which], 0, CHUNK, position);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      position += bytesRead;
      which ^= 1;
      pending = handle.read(buffers[which], 0, CHUNK, position);
    }
  } finally {
    await handle.close();
  }
}

/** The WASM BLAKE3 (the fallback implementation) over the same reads, for comparison. */
async function wasmHash(path: string): Promise<string> {
  const hasher = (await createBLAKE3()).init();
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafeSlow(CHUNK);
    for (let position = 0; ;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hasher.digest("hex");
}

async function timeMbPerSecond(label: string, fn: () => Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    const seconds = (performance.now() - start) / 1000;
    rates.push(sizeMb / seconds);
  }
  const m = median(rates);
  console.log(`${label.padEnd(34)} ${rates.map((r) => r.toFixed(0)).join(" / ")} MB/s   median ${m.toFixed(0)} MB/s`);
  return m;
}

const dir = await mkdtemp(join(tmpdir(), "atelier-hash-bench-"));
try {
  const file = join(dir, "model.safetensors");
  console.log(`writing a ${sizeMb} MB file of random bytes in ${dir} …`);
  await writeRandomFile(file);
  console.log(`BLAKE3 implementation: ${await blake3Implementation()}`);
  const ceiling = await timeMbPerSecond("read only (ceiling)", () => readOnly(file));
  const native = await timeMbPerSecond("hashModel blake3_single (native)", () => hashModel(file));
  const wasm = await timeMbPerSecond("BLAKE3 wasm (fallback)", () => wasmHash(file));
  console.log(
    `hashing reaches ${((native / ceiling) * 100).toFixed(0)}% of the read ceiling; native is ${(native / wasm).toFixed(1)}× the wasm fallback`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
