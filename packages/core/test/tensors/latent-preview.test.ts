import { describe, expect, it } from "vitest";
import {
  createTensor,
  float32ArrayToFloat16,
  latentsToPreview,
  stepPercentage,
  TensorError,
  UnsupportedBaseModelError,
} from "@atelier/core";

/** The preview's final mapping, written out: ((x + 1) / 2).clamp(0, 1) * 255, truncated like torch's `.byte()`. */
const px = (v: number) => Math.trunc(Math.min(1, Math.max(0, (v + 1) / 2)) * 255);

/** [1, C, H, W] latents whose channel c is `values[c]` everywhere. */
function constantLatents(values: number[], height: number, width: number) {
  const plane = height * width;
  const data = new Float32Array(values.length * plane);
  values.forEach((v, c) => data.fill(v, c * plane, (c + 1) * plane));
  return createTensor("float32", [1, values.length, height, width], data);
}

const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe("latentsToPreview", () => {
  it("applies the SD1.5 factors to every pixel", () => {
    const img = latentsToPreview(constantLatents([0.5, -0.25, 1, 0.2], 3, 5), "sd-1");
    expect([img.width, img.height, img.mode, img.data.length]).toEqual([5, 3, "RGB", 45]);
    const r = 0.5 * 0.3444 - 0.25 * 0.1247 + 1 * -0.3192 + 0.2 * -0.1307;
    const g = 0.5 * 0.1385 - 0.25 * 0.4027 + 1 * 0.2513 + 0.2 * -0.1874;
    const b = 0.5 * 0.067 - 0.25 * 0.1494 + 1 * 0.2103 + 0.2 * -0.7445;
    expect([px(r), px(g), px(b)]).toEqual([101, 150, 134]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) expect(pixel(img, x, y)).toEqual([101, 150, 134]);
    expect(pixel(latentsToPreview(constantLatents([0.5, -0.25, 1, 0.2], 1, 1), "sd-2"), 0, 0)).toEqual([101, 150, 134]);
  });

  it("clamps to 0 and 255", () => {
    expect(pixel(latentsToPreview(constantLatents([100, 0, 0, 0], 1, 1), "sd-1"), 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(latentsToPreview(constantLatents([-100, 0, 0, 0], 1, 1), "sd-1"), 0, 0)).toEqual([0, 0, 0]);
  });

  it("smooths SDXL previews with the 3×3 kernel and zero padding", () => {
    const img = latentsToPreview(constantLatents([1, 0, 0, 0], 4, 4), "sdxl");
    const [a, e, c] = [0.0358, 0.0964, 0.4711]; // corner, edge and centre weights of the kernel
    const interior = 4 * a + 4 * e + c;
    const corner = c + 2 * e + a;
    const side = c + 3 * e + 2 * a;
    const rgb = [0.3816, 0.493, 0.532];
    expect(pixel(img, 1, 2)).toEqual(rgb.map((f) => px(f * interior)));
    expect(pixel(img, 0, 0)).toEqual(rgb.map((f) => px(f * corner)));
    expect(pixel(img, 3, 3)).toEqual(rgb.map((f) => px(f * corner)));
    expect(pixel(img, 2, 0)).toEqual(rgb.map((f) => px(f * side)));
    expect(pixel(img, 0, 1)).toEqual(rgb.map((f) => px(f * side)));
    expect(pixel(latentsToPreview(constantLatents([1, 0, 0, 0], 4, 4), "sdxl-refiner"), 0, 0)).toEqual(
      pixel(img, 0, 0),
    );
  });

  it("adds FLUX.2's bias and reads 32 channels", () => {
    const zeros = constantLatents(new Array(32).fill(0), 2, 2);
    expect(pixel(latentsToPreview(zeros, "flux2"), 1, 1)).toEqual([px(-0.0329), px(-0.0718), px(-0.0851)]);
    const ch3 = new Array(32).fill(0);
    ch3[3] = 1;
    expect(pixel(latentsToPreview(constantLatents(ch3, 1, 1), "flux2"), 0, 0)).toEqual([
      px(0.2144 - 0.0329),
      px(0.3009 - 0.0718),
      px(0.3652 - 0.0851),
    ]);
  });

  it("uses 16-channel factors for FLUX and SD3", () => {
    const ch = new Array(16).fill(0);
    ch[6] = 2;
    expect(pixel(latentsToPreview(constantLatents(ch, 1, 1), "flux"), 0, 0)).toEqual([
      px(0.1002),
      px(0.2116),
      px(0.2304),
    ]);
    ch[6] = 0;
    ch[5] = -3;
    expect(pixel(latentsToPreview(constantLatents(ch, 1, 1), "sd-3"), 0, 0)).toEqual([
      px(-3 * 0.05187166),
      px(-3 * 0.19222395),
      px(-3 * 0.06261094),
    ]);
  });

  it("keeps row-major pixel order and uses batch element 0 only", () => {
    const [h, w] = [2, 3];
    const data = new Float32Array(2 * 4 * h * w); // batch of 2
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = (y * w + x) / 10; // channel 0 of batch 0
    data.fill(5, 4 * h * w); // batch 1 is saturated and must not show
    const img = latentsToPreview(createTensor("float32", [2, 4, h, w], data), "sd-1");
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = (y * w + x) / 10;
        expect(pixel(img, x, y)).toEqual([px(v * 0.3444), px(v * 0.1385), px(v * 0.067)]);
      }
    }
  });

  it("accepts float16 latents", () => {
    const f32 = constantLatents([0.5, -0.25, 1, 0.2], 2, 2);
    const f16 = createTensor("float16", f32.shape, float32ArrayToFloat16(f32.data));
    expect(pixel(latentsToPreview(f16, "sd-1"), 1, 1)).toEqual([101, 150, 134]);
  });

  it("refuses unknown bases and wrongly shaped latents with typed errors", () => {
    const latents = constantLatents([0, 0, 0, 0], 2, 2);
    let caught: unknown;
    try {
      latentsToPreview(latents, "cogview4");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsupportedBaseModelError);
    expect((caught as UnsupportedBaseModelError).code).toBe("unsupported_base_model");
    expect((caught as Error).message).toMatch(/^Unsupported base model: "cogview4"/);
    expect(() => latentsToPreview(latents, "flux")).toThrow(/needs latents shaped \[B, 16, H, W\].*got \[1, 4, 2, 2\]/);
    expect(() => latentsToPreview(createTensor("float32", [4, 2, 2]), "sd-1")).toThrow(TensorError);
    expect(() => latentsToPreview(createTensor("int32", [1, 4, 1, 1]), "sd-1")).toThrow(/float latents; got int32/);
  });
});

describe("stepPercentage", () => {
  it("is step / total for first-order schedulers", () => {
    expect(stepPercentage(5, 20, 1)).toBe(0.25);
    expect(stepPercentage(20, 20)).toBe(1);
  });

  it("counts pairs of model calls for second-order schedulers", () => {
    expect(stepPercentage(5, 20, 2)).toBe(2 / 10);
    expect(stepPercentage(7, 21, 2)).toBe(3 / 10);
  });

  it("returns 0 instead of dividing by zero", () => {
    expect(stepPercentage(0, 0)).toBe(0);
    expect(stepPercentage(1, 1, 2)).toBe(0);
  });
});
