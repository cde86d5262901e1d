import type { RawImage } from "@atelier/core";
import { colorSpaceToRgba, COLOR_SPACE_BANDS, toColorSpace, type ColorSpace } from "./color-spaces.js";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

/** InvokeAI's channel names for img_channel_offset / img_channel_multiply. */
export const COLOR_CHANNELS = [
  "Red (RGBA)",
  "Green (RGBA)",
  "Blue (RGBA)",
  "Alpha (RGBA)",
  "Cyan (CMYK)",
  "Magenta (CMYK)",
  "Yellow (CMYK)",
  "Black (CMYK)",
  "Hue (HSV)",
  "Saturation (HSV)",
  "Value (HSV)",
  "Luminosity (LAB)",
  "A (LAB)",
  "B (LAB)",
  "Y (YCbCr)",
  "Cb (YCbCr)",
  "Cr (YCbCr)",
] as const;

/** One of COLOR_CHANNELS. */
export type ColorChannel = (typeof COLOR_CHANNELS)[number];

/** The colour space and band index behind each channel name. */
export const CHANNEL_FORMATS: Readonly<Record<ColorChannel, readonly [ColorSpace, number]>> = {
  "Red (RGBA)": ["RGBA", 0],
  "Green (RGBA)": ["RGBA", 1],
  "Blue (RGBA)": ["RGBA", 2],
  "Alpha (RGBA)": ["RGBA", 3],
  "Cyan (CMYK)": ["CMYK", 0],
  "Magenta (CMYK)": ["CMYK", 1],
  "Yellow (CMYK)": ["CMYK", 2],
  "Black (CMYK)": ["CMYK", 3],
  "Hue (HSV)": ["HSV", 0],
  "Saturation (HSV)": ["HSV", 1],
  "Value (HSV)": ["HSV", 2],
  "Luminosity (LAB)": ["LAB", 0],
  "A (LAB)": ["LAB", 1],
  "B (LAB)": ["LAB", 2],
  "Y (YCbCr)": ["YCbCr", 0],
  "Cb (YCbCr)": ["YCbCr", 1],
  "Cr (YCbCr)": ["YCbCr", 2],
};

function channelFormat(channel: string): readonly [ColorSpace, number] {
  const f = CHANNEL_FORMATS[channel as ColorChannel];
  if (!f) {
    throw new ImageOperationError(
      "invalid_channel",
      `unknown channel ${JSON.stringify(channel)} (expected one of ${COLOR_CHANNELS.join(", ")})`,
      {
        channel,
      },
    );
  }
  return f;
}

function mapChannel(image: RawImage, channel: string, fn: (v: number) => number): MutableRawImage {
  const [space, band] = channelFormat(channel);
  const planes = toColorSpace(image, space);
  const bands = COLOR_SPACE_BANDS[space];
  const data = planes.data;
  const table = Uint8Array.from({ length: 256 }, (_, v) => fn(v));
  for (let i = band; i < data.length; i += bands) data[i] = table[data[i]];
  return colorSpaceToRgba(planes);
}

/** InvokeAI's img_channel_offset: clip(channel + offset, 0, 255) in the channel's colour space, back to RGBA. */
export function offsetChannel(image: RawImage, channel: string, offset: number): MutableRawImage {
  return mapChannel(image, channel, (v) => Math.min(255, Math.max(0, v + offset)));
}

/** InvokeAI's img_channel_multiply: clip(channel * scale, 0, 255), optionally 255 - that, truncated; back to RGBA. */
export function multiplyChannel(image: RawImage, channel: string, scale: number, invert: boolean): MutableRawImage {
  return mapChannel(image, channel, (v) => {
    let s = Math.min(255, Math.max(0, v * scale));
    if (invert) s = 255 - s;
    return Math.trunc(s);
  });
}

/** InvokeAI's img_hue_adjust: rotate Pillow's 8-bit HSV hue by int(256 * (hue mod 360) / 360), back to RGBA (alpha 255). */
export function adjustHue(image: RawImage, hue: number): MutableRawImage {
  const degrees = ((hue % 360) + 360) % 360;
  const shift = Math.trunc((256 * degrees) / 360);
  const planes = toColorSpace(image, "HSV");
  const data = planes.data;
  for (let i = 0; i < data.length; i += 3) data[i] = (data[i] + shift) & 0xff;
  return colorSpaceToRgba(planes);
}
