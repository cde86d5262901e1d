/**
 * Tensor figures: safetensors round trips, torch-exact noise, latent previews. Run: npx tsx bench/tensors.bench.ts
 * The safetensors figures are mostly first-touch page faults of fresh 256 KiB buffers; the memcpy itself is ~10 µs.
 */
import { decodeSafetensors, encodeSafetensors, latentsToPreview, torchRandn } from "../packages/core/src/index.js";

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
