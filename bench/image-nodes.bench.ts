/**
 * Image node operations at 1024×1024, here and in Pillow (InvokeAI's way, via bench/image-nodes-pillow.py) on the
 * same pixels: prints the median time of each and the ratio Atelier / Pillow (below 1 = faster here).
 * Run: npx tsx bench/image-nodes.bench.ts   (RUNS=n to change the run count; Python with pillow, numpy and
 * opencv-python-headless is needed for the Pillow column, which is skipped otherwise).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RawImage } from "../packages/core/src/index.js";
import { resizeImage } from "../packages/nodes/src/image-ops/resample.js";
import { boxBlur, gaussianBlur } from "../packages/nodes/src/image-ops/box-blur.js";
import { cropToCanvas, pasteOnCanvas } from "../packages/nodes/src/image-ops/canvas-ops.js";
import { unsharpMask } from "../packages/nodes/src/image-ops/sharpen.js";
import { convertMode } from "../packages/nodes/src/image-ops/mode-conversion.js";
import { adjustHue, offsetChannel } from "../packages/nodes/src/image-ops/channel-adjust.js";
import { multiplyImages } from "../packages/nodes/src/image-ops/point-ops.js";
import { infillSolidColor, infillTiles } from "../packages/nodes/src/infill/infill-methods.js";
import { cannyEdges } from "../packages/nodes/src/image-ops/canny.js";
import { expandMaskWithFade } from "../packages/nodes/src/image-ops/mask-ops.js";
import { addImageNoise } from "../packages/nodes/src/image-ops/image-noise.js";
import { enhanceContrast, enhanceSharpness } from "../packages/nodes/src/image-ops/enhance.js";

const SIZE = 1024;
const RUNS = Number(process.env.RUNS ?? 7);

/** Same pixels as the Python side: a gradient mixed with a multiplicative hash (uint32 arithmetic). */
function pattern(channels: number, salt: number): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * channels);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < channels; c++) {
        const h = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(c + salt, 83492791)) >>> 0;
        out[(y * SIZE + x) * channels + c] = (Math.floor((x + y + c * 40) / 8) + (h % 64)) % 256;
      }
    }
  }
  return out;
}

const rgb: RawImage = { width: SIZE, height: SIZE, mode: "RGB", data: pattern(3, 1) };
const other: RawImage = { width: SIZE, height: SIZE, mode: "RGB", data: pattern(3, 7) };
const rgbaData = pattern(4, 3);
for (let i = 3; i < rgbaData.length; i += 4) rgbaData[i] = 255;
for (let y = 200; y < 500; y++) for (let x = 300; x < 700; x++) rgbaData[(y * SIZE + x) * 4 + 3] = 0;
const rgba: RawImage = { width: SIZE, height: SIZE, mode: "RGBA", data: rgbaData };
const maskData = new Uint8Array(SIZE * SIZE);
for (let y = 256; y < 768; y++) maskData.fill(255, y * SIZE + 256, y * SIZE + 768);
const mask: RawImage = { width: SIZE, height: SIZE, mode: "L", data: maskData };

const OPS: Record<string, () => unknown> = {
  "resize bicubic 1024->512": () => resizeImage(rgb, 512, 512, "bicubic"),
  "resize lanczos 1024->1536": () => resizeImage(rgb, 1536, 1536, "lanczos"),
  "resize RGBA bilinear 1024->700": () => resizeImage(rgba, 700, 700, "bilinear"),
  "resize nearest 1024->777": () => resizeImage(rgb, 777, 777, "nearest"),
  "img_crop 512 (outside)": () => cropToCanvas(rgb, -100, 700, 512, 512),
  "img_paste with mask": () => pasteOnCanvas(rgb, other, 10, 20, mask, false),
  "gaussian blur r=8": () => gaussianBlur(rgb, 8),
  "box blur r=8": () => boxBlur(rgb, 8),
  "unsharp_mask r=2": () => unsharpMask(rgb, 2, 50),
  "convert RGB->L": () => convertMode(rgb, "L"),
  "img_hue_adjust 90": () => adjustHue(rgb, 90),
  "img_channel_offset Hue": () => offsetChannel(rgb, "Hue (HSV)", 40),
  img_mul: () => multiplyImages(rgb, other),
  infill_rgba: () => infillSolidColor(rgba, [127, 127, 127, 255]),
  "infill_tile 32": () => infillTiles(rgba, 0, 32),
  "canny 100/200": () => cannyEdges(rgb, 100, 200),
  "expand_mask_with_fade 32": () => expandMaskWithFade(mask, 0, 32),
  "img_noise gaussian": () =>
    addImageNoise(rgb, null, { seed: 1, noiseType: "gaussian", amount: 0.1, noiseColor: true, size: 1 }),
  "enhance contrast+sharpness": () => enhanceSharpness(enhanceContrast(rgb, 1.5), 2.0),
};

function medianMs(fn: () => unknown): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const ours = Object.fromEntries(Object.entries(OPS).map(([name, fn]) => [name, medianMs(fn)]));

const script = fileURLToPath(new URL("./image-nodes-pillow.py", import.meta.url));
const py = spawnSync("python3", [script, String(RUNS)], { encoding: "utf8" });
let pillow: Record<string, number> | null = null;
if (py.status === 0) pillow = JSON.parse(py.stdout.trim().split("\n").pop()!) as Record<string, number>;
else console.log(`(Pillow column skipped: ${py.stderr.trim().split("\n").pop() ?? "python3 failed"})`);

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`${pad("operation (1024x1024)", 32)} ${pad("atelier ms", 11)} ${pad("pillow ms", 10)} ratio`);
for (const [name, ms] of Object.entries(ours)) {
  const p = pillow?.[name];
  const ratio = p ? (ms / p).toFixed(2) : "-";
  console.log(`${pad(name, 32)} ${pad(ms.toFixed(1), 11)} ${pad(p ? p.toFixed(1) : "-", 10)} ${ratio}`);
}
