/**
 * Image save and tensor store figures. Run: npx tsx bench/image-save.bench.ts
 *
 * Images: a 1024×1024 RGB image → PNG (compression 1) with InvokeAI's three metadata chunks + 256 px WebP thumbnail.
 * "sequential" encodes one after the other; "overlapped" runs both sharp pipelines at once (each on its own libuv
 * thread, sharp.concurrency() being 1); "ImageFiles.save" adds the two atomic file writes.
 * Tensors: save + load round trips of a [1,4,128,128] float32 tensor through TensorStore on a temp folder.
 * InvokeAI on this kind of machine: 11 noisy images/s, ~2,200 tensor round trips/s. Targets: ≥ 20 and ≥ 5,000.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { register } from "node:module";
import os from "node:os";
import path from "node:path";

// The engine imports "@atelier/core"; point that at core's TypeScript sources (as vitest's alias does), so the
// bench needs no build and never runs a stale dist.
register(
  `data:text/javascript,${encodeURIComponent(`
    const core = ${JSON.stringify(new URL("../packages/core/src/index.ts", import.meta.url).href)};
    export async function resolve(specifier, context, next) {
      return specifier === "@atelier/core" ? next(core, context) : next(specifier, context);
    }`)}`,
);

const { encodeImageFiles, encodePng, makeThumbnail, FsBlobStore, ImageFiles, TensorStore } =
  await import("../packages/engine/src/index.js");
const sharp = (await import("sharp")).default;
type RawImage = import("../packages/core/src/index.js").RawImage;
type Tensor = import("../packages/core/src/index.js").Tensor;

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
  // Tensors first: the image part leaves ~100 MB of dirty page cache whose writeback would slow the tensor files.
  const shape = [1, 4, 128, 128];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const tensor: Tensor = { dtype: "float32", shape, data };
  // Three ways to count a save + load round trip:
  //  pair: what a node and the next node wait for; the file write runs behind and ends before the next pair
  //        (untimed), as it does between real nodes.
  //  back to back: pairs in a tight loop, the round ending with every file on disk, so the writes are paid for.
  //  disk: each save is flushed and the cache dropped, so every load decodes a file read back from disk.
  type Mode = "pair" | "back-to-back" | "disk";
  const rounds = async (store: InstanceType<typeof TensorStore>, mode: Mode): Promise<Timing> => {
    const batch = 200;
    const perRound: number[] = [];
    let cpuTotal = 0;
    for (let r = 0; r < 9; r++) {
      let timed = 0;
      let cpuUsed = 0;
      const roundStart = performance.now();
      const roundCpu = process.cpuUsage();
      for (let i = 0; i < batch; i++) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        const name = await store.save(tensor);
        if (mode === "disk") {
          await store.flush();
          store.clearCache();
        }
        await store.load(name);
        if (mode === "pair") {
          timed += performance.now() - start;
          const cpu = process.cpuUsage(cpuStart);
          cpuUsed += (cpu.user + cpu.system) / 1000;
          await store.flush();
        }
      }
      await store.flush();
      if (mode !== "pair") {
        timed = performance.now() - roundStart;
        const cpu = process.cpuUsage(roundCpu);
        cpuUsed = (cpu.user + cpu.system) / 1000;
      }
      perRound.push(timed / batch);
      if (r > 0) cpuTotal += cpuUsed / batch;
    }
    return { wall: median(perRound.slice(1)), cpu: cpuTotal / 8 }; // round 0 warms the JIT and the folder
  };
  const tensorStore = new TensorStore({ blobs: new FsBlobStore(path.join(tmp, "outputs")) });
  const us = (t: Timing): string =>
    `${(t.wall * 1000).toFixed(0).padStart(6)} µs   ${(t.cpu * 1000).toFixed(0).padStart(6)} µs`;
  console.log(`\nTensorStore [1,4,128,128] float32 (256 KiB) save + load   wall (median)   CPU (mean)`);
  for (const [mode, label] of [
    ["pair", "node pair, write behind       "],
    ["back-to-back", "back to back, writes included"],
    ["disk", "flushed save + disk load     "],
  ] as const) {
    const timing = await rounds(tensorStore, mode);
    console.log(`  ${label}          ${us(timing)}  → ${perSecond(timing.wall)} round trips/s`);
  }

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

  console.log(
    `\nInvokeAI reference: 11 noisy images/s, ~2,200 tensor round trips/s. Targets: ≥ 20 images/s, ≥ 5,000 round trips/s.`,
  );
} finally {
  await rm(tmp, { recursive: true, force: true });
}
