/**
 * Image save figures. Run: npx tsx bench/image-save.bench.ts
 *
 * Images: a 1024×1024 RGB image → PNG (compression 1) with InvokeAI's three metadata chunks + 256 px WebP thumbnail.
 * "sequential" encodes one after the other; "overlapped" runs both sharp pipelines at once (each on its own libuv
 * thread, sharp.concurrency() being 1); "ImageFiles.save" adds the two atomic file writes.
 * InvokeAI on this kind of machine: 11 noisy images/s. Target: ≥ 20. (TensorStore figures: bench/tensors.bench.ts.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import "./core-from-source.js";
import os from "node:os";
import path from "node:path";

const { encodeImageFiles, encodePng, makeThumbnail, FsBlobStore, ImageFiles } =
  await import("../packages/engine/src/index.js");
const sharp = (await import("sharp")).default;
type RawImage = import("../packages/core/src/index.js").RawImage;

const SIZE = 1024;

function noisyImage(): RawImage {
  const data = new Uint8Array(SIZE * SIZE * 3);
  let x = 2463534242; // xorshift32: every byte independent enough that zlib finds nothing to compress
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return { width: SIZE, height: SIZE, mode: "RGB", data };
}

function gradientImage(): RawImage {
  const data = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) data.set([x >> 2, y >> 2, (x + y) >> 3], (y * SIZE + x) * 3);
  }
  return { width: SIZE, height: SIZE, mode: "RGB", data };
}

// Chunks of the sizes InvokeAI writes for a typical SDXL text-to-image run.
const textChunks = {
  invokeai_metadata: JSON.stringify({
    generation_mode: "sdxl_txt2img",
    positive_prompt: "a lighthouse on a cliff at dusk, dramatic sky, volumetric light, highly detailed",
    negative_prompt: "blurry, low quality",
    width: 1024,
    height: 1024,
    seed: 1234567890,
    steps: 30,
    cfg_scale: 7.5,
    scheduler: "euler",
    model: { key: "0f3c", hash: "blake3:abc", name: "sdxl-base", base: "sdxl", type: "main" },
    loras: [],
  }),
  invokeai_workflow: JSON.stringify({
    name: "t2i",
    nodes: Array.from({ length: 12 }, (_, i) => ({ id: `node-${i}`, data: { inputs: { a: { value: i } } } })),
  }),
  invokeai_graph: JSON.stringify({
    id: "graph",
    nodes: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`n${i}`, { type: "noise", id: `n${i}` }])),
    edges: [],
  }),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Timing {
  /** Median wall time per call, ms. */
  readonly wall: number;
  /** Mean CPU time per call (all threads: main, libuv, libvips), ms: what the work costs when cores are free. */
  readonly cpu: number;
}

/** Times `fn` over `runs` calls after `warmup` untimed ones. */
async function timeEach(fn: () => Promise<unknown>, runs: number, warmup = 3): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: median(times), cpu: (cpu.user + cpu.system) / 1000 / runs };
}

const perSecond = (ms: number): string => (1000 / ms).toFixed(1);
const ms = (t: Timing): string => `${t.wall.toFixed(1).padStart(6)} ms   ${t.cpu.toFixed(1).padStart(6)} ms`;

const tmp = await mkdtemp(path.join(os.tmpdir(), "atelier-bench-"));
try {
  // Other work on the machine slows wall times down; the CPU column is the cost of the work itself.
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${os.availableParallelism()} cores`,
  );
  console.log(
    `sharp.concurrency() = ${sharp.concurrency()}, UV_THREADPOOL_SIZE = ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`,
  );
  const files = new ImageFiles({ blobs: new FsBlobStore(path.join(tmp, "outputs")) });
  let counter = 0;
  for (const [label, image] of [
    ["noisy", noisyImage()],
    ["gradient", gradientImage()],
  ] as const) {
    const options = { compressionLevel: 1, textChunks };
    const png = await timeEach(() => encodePng(image, options), 15);
    const thumb = await timeEach(() => makeThumbnail(image), 15);
    const sequential = await timeEach(async () => {
      await encodePng(image, options);
      await makeThumbnail(image);
    }, 15);
    const overlapped = await timeEach(() => encodeImageFiles(image, options), 15);
    const save = await timeEach(
      () => files.save(`${label}-${counter++}.png`, image, { metadata: textChunks.invokeai_metadata }),
      15,
    );
    const pngBytes = (await encodePng(image, options)).length;
    const hidden = ((png.wall + thumb.wall - overlapped.wall) / Math.min(png.wall, thumb.wall)) * 100;
    console.log(
      `\n${label} 1024×1024 RGB (PNG ${(pngBytes / 1024).toFixed(0)} KiB)            wall (median)   CPU (mean)`,
    );
    console.log(`  PNG encode alone                      ${ms(png)}`);
    console.log(`  WebP thumbnail alone                  ${ms(thumb)}`);
    console.log(`  sequential PNG + thumb                ${ms(sequential)}  → ${perSecond(sequential.wall)} images/s`);
    console.log(`  overlapped PNG ‖ thumb                ${ms(overlapped)}  → ${perSecond(overlapped.wall)} images/s`);
    console.log(`  ImageFiles.save (+ 2 atomic writes)   ${ms(save)}  → ${perSecond(save.wall)} images/s`);
    console.log(`  overlap hides ${hidden.toFixed(0)}% of the shorter encode`);
  }

  console.log(`\nInvokeAI reference: 11 noisy images/s. Target: ≥ 20 images/s.`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
