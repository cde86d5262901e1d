import sharp from "sharp";

/** A small real PNG: a horizontal gradient in one colour channel. */
export async function gradientPng(width = 32, height = 24, channel = 0): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[(y * width + x) * 3 + channel] = Math.round((x / (width - 1)) * 255);
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
