/**
 * Tensor figures: safetensors round trips, torch-exact noise, latent previews, and TensorStore save + load round
 * trips of a [1,4,128,128] float32 tensor. Run: npx tsx bench/tensors.bench.ts
 * The safetensors figures are mostly first-touch page faults of fresh 256 KiB buffers; the memcpy itself is ~10 µs.
 * InvokeAI on this kind of machine: ~2,200 tensor round trips/s (218 µs save + 223 µs load). Target: ≥ 5,000.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decodeSafetensors, encodeSafetensors, latentsToPreview, torchRandn } from "../packages/core/src/index.js";
import { envWithoutMalloc, launcherMallocEnv } from "./launcher-malloc.js";
import { FIGURE_LABELS, tensorStoreFigures, type StoreFigures } from "./tensor-store-figures.js";

if (process.env.TENSOR_STORE_FIGURES === "1") {
  process.stdout.write(JSON.stringify(await tensorStoreFigures()));
  process.exit(0);
}

/** Median of `rounds` timings of `iterations` calls, in microseconds per call. */
function medianMicros(fn: () => void, iterations: number, rounds = 15): number {
  for (let i = 0; i < iterations; i++) fn(); // warm-up for the JIT
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)];
}

const shape = [1, 4, 128, 128];
const latents = torchRandn(shape, 42);
let sink = 0;

const roundTrip = medianMicros(() => {
  const bytes = encodeSafetensors({ latents }, { seed: "42" });
  sink += decodeSafetensors(bytes).tensors.latents.data.length;
}, 200);
const roundTripViews = medianMicros(() => {
  const bytes = encodeSafetensors({ latents }, { seed: "42" });
  sink += decodeSafetensors(bytes, { copy: false }).tensors.latents.data.length;
}, 200);
const decodeOnly = (() => {
  const bytes = encodeSafetensors({ latents });
  return medianMicros(() => {
    sink += decodeSafetensors(bytes).tensors.latents.data.length;
  }, 400);
})();
const randn = medianMicros(() => {
  sink += torchRandn(shape, 7).data.length;
}, 20);
const randnHalf = medianMicros(() => {
  sink += torchRandn(shape, 7, "float16").data.length;
}, 20);
const preview = medianMicros(() => {
  sink += latentsToPreview(latents, "sd-1").data.length;
}, 20);
const previewXl = medianMicros(() => {
  sink += latentsToPreview(latents, "sdxl").data.length;
}, 20);

const line = (label: string, micros: number, unit: string) =>
  console.log(
    `${label.padEnd(48)} ${micros.toFixed(1).padStart(9)} µs   ${(1e6 / micros).toFixed(0).padStart(8)} ${unit}/s`,
  );
console.log(`tensors bench (median of 15 rounds), shape [${shape.join(", ")}]`);
line("safetensors encode+decode round trip (f32)", roundTrip, "round trips");
line("safetensors round trip, decode as views", roundTripViews, "round trips");
line("safetensors decode (f32, one copy)", decodeOnly, "decodes");
line("torchRandn float32", randn, "tensors");
line("torchRandn float16", randnHalf, "tensors");
line("latentsToPreview sd-1 (128×128 latents)", preview, "previews");
line("latentsToPreview sdxl (128×128 latents, smoothed)", previewXl, "previews");
if (sink === 0) console.log("");

// The store's figures depend on glibc's malloc settings (a load's copy is a fresh 256 KiB buffer), so they are taken
// in child processes: glibc's defaults, and the settings `npm start` and the `atelier` launcher start node with,
// alternating, RUNS times each (default 3), because this kind of machine's file system and page-fault costs drift
// from minute to minute. Each figure is the median of the runs, with their range.
const launcherMalloc = launcherMallocEnv();
const settings = [
  { label: "glibc's default malloc settings", malloc: {} },
  {
    label: `the launcher's: ${Object.entries(launcherMalloc)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
    malloc: launcherMalloc,
  },
];
const storeRuns = Number(process.env.RUNS ?? 3);
const results: StoreFigures[][] = settings.map(() => []);
for (let run = 0; run < storeRuns; run++) {
  for (const [i, { malloc }] of settings.entries()) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...envWithoutMalloc(), ...malloc, TENSOR_STORE_FIGURES: "1" },
    });
    if (child.status !== 0) throw new Error(`the TensorStore child process failed (${child.status})`);
    results[i].push(JSON.parse(child.stdout) as StoreFigures);
  }
}
const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [i, { label }] of settings.entries()) {
  console.log(`\nTensorStore [1,4,128,128] float32, ${label} (median of ${storeRuns} runs, range)`);
  for (const key of Object.keys(FIGURE_LABELS) as (keyof StoreFigures)[]) {
    const walls = results[i].map((r) => r[key]);
    const range = `${Math.min(...walls).toFixed(0)}–${Math.max(...walls).toFixed(0)}`;
    const perSecond = key === "file" ? "" : `  → ${(1e6 / middle(walls)).toFixed(0).padStart(5)} round trips/s`;
    console.log(`  ${FIGURE_LABELS[key].padEnd(42)} ${middle(walls).toFixed(0).padStart(6)} µs (${range})${perSecond}`);
  }
}
