"""Pillow/NumPy/OpenCV side of bench/image-nodes.bench.ts: times the same image operations at 1024x1024 the way
InvokeAI's nodes run them and prints one JSON object {op: median milliseconds}.

Run alone: python3 bench/image-nodes-pillow.py [runs]   (needs pillow, numpy, opencv-python-headless)
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageFilter

sys.dont_write_bytecode = True  # keep the reference folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/nodes/test/reference"))
import generate as ref  # noqa: E402  (the reference generator's mirrors of InvokeAI's node code)

SIZE = 1024
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def pattern(channels: int, salt: int) -> np.ndarray:
    """The same deterministic pixels as the TypeScript side: a gradient mixed with a multiplicative hash."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.uint32)
    planes = []
    for c in range(channels):
        h = (x * np.uint32(73856093)) ^ (y * np.uint32(19349663)) ^ np.uint32((c + salt) * 83492791)
        planes.append(((x + y + c * 40) // 8 + (h % np.uint32(64))) % 256)
    return np.stack(planes, axis=-1).astype(np.uint8)


def inputs():
    rgb = Image.fromarray(pattern(3, 1), "RGB")
    other = Image.fromarray(pattern(3, 7), "RGB")
    rgba_arr = pattern(4, 3)
    rgba_arr[..., 3] = 255
    rgba_arr[200:500, 300:700, 3] = 0
    rgba = Image.fromarray(rgba_arr, "RGBA")
    mask_arr = np.zeros((SIZE, SIZE), np.uint8)
    mask_arr[256:768, 256:768] = 255
    return rgb, other, rgba, Image.fromarray(mask_arr, "L")


def ops():
    rgb, other, rgba, mask = inputs()
    return {
        "resize bicubic 1024->512": lambda: rgb.resize((512, 512), Image.Resampling.BICUBIC),
        "resize lanczos 1024->1536": lambda: rgb.resize((1536, 1536), Image.Resampling.LANCZOS),
        "resize RGBA bilinear 1024->700": lambda: rgba.resize((700, 700), Image.Resampling.BILINEAR),
        "resize nearest 1024->777": lambda: rgb.resize((777, 777), Image.Resampling.NEAREST),
        "img_crop 512 (outside)": lambda: ref.node_img_crop(rgb, -100, 700, 512, 512),
        "img_paste with mask": lambda: ref.node_img_paste(rgb, other, mask, 10, 20, False),
        "gaussian blur r=8": lambda: rgb.filter(ImageFilter.GaussianBlur(8)),
        "box blur r=8": lambda: rgb.filter(ImageFilter.BoxBlur(8)),
        "unsharp_mask r=2": lambda: ref.node_unsharp_mask(rgb, 2, 50),
        "convert RGB->L": lambda: rgb.convert("L"),
        "img_hue_adjust 90": lambda: ref.node_img_hue_adjust(rgb, 90),
        "img_channel_offset Hue": lambda: ref.node_img_channel_offset(rgb, "Hue (HSV)", 40),
        "img_mul": lambda: ImageChops.multiply(rgb, other),
        "infill_rgba": lambda: ref.node_infill_rgba(rgba, (127, 127, 127, 255)),
        "infill_tile 32": lambda: ref.node_infill_tile(rgba, 0, 32),
        "canny 100/200": lambda: ref.node_canny(rgb, 100, 200),
        "expand_mask_with_fade 32": lambda: ref.node_expand_mask_with_fade(mask, 0, 32),
        "img_noise gaussian": lambda: ref.node_img_noise(rgb, None, 1, "gaussian", 0.1, True, 1),
        "enhance contrast+sharpness": lambda: ref.node_img_enhance(rgb, False, 1.0, 1.5, 1.0, 2.0),
    }


def median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


if __name__ == "__main__":
    print(json.dumps({name: median_ms(fn) for name, fn in ops().items()}))
