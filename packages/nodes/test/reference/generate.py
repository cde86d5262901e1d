"""Builds the Pillow reference outputs the image-node tests compare against.

Run from the repository root (needs `pip install pillow numpy opencv-python-headless`):

    python3 packages/nodes/test/reference/generate.py

Inputs are made here from a seeded NumPy generator, so the whole folder is reproducible. Each case runs one
operation the way InvokeAI's Pillow-based node code does it and records, in manifest.json, the operation name,
its parameters, the input and output file names and the tolerance the TypeScript test must meet.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
OUT = HERE / "images"
CASES: list[dict] = []


def save(img: Image.Image, name: str) -> str:
    path = OUT / f"{name}.png"
    img.save(path, compress_level=9)
    return path.name


def case(op: str, inputs: list[str], output: Image.Image | None, params: dict, tolerance: dict | None = None, name: str | None = None, extra: dict | None = None) -> None:
    """Records one reference case; `tolerance` defaults to an exact match."""
    case_name = name or f"{op}-{len(CASES):03d}"
    entry = {"name": case_name, "op": op, "inputs": inputs, "params": params, "tolerance": tolerance or {"max_diff": 0}}
    if output is not None:
        entry["output"] = save(output, case_name)
        entry["mode"] = output.mode
        entry["size"] = list(output.size)
    if extra:
        entry.update(extra)
    CASES.append(entry)


# ----------------------------------------------------------------------------------------------------------------
# Deterministic inputs

def make_inputs() -> dict[str, Image.Image]:
    rng = np.random.default_rng(20240611)
    h, w = 48, 64
    yy, xx = np.mgrid[0:h, 0:w]
    # Smooth structure plus noise and a few hard edges, so that resampling, blur and colour ops all have work to do.
    r = (xx * 255 / (w - 1)).astype(np.float64)
    g = (yy * 255 / (h - 1)).astype(np.float64)
    b = 127.5 + 127.5 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, 18, (h, w, 3))
    rgb[10:20, 30:44] = [250, 20, 40]
    rgb[30:40, 5:12] = [0, 0, 0]
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    alpha = np.clip(255 * (xx / (w - 1)) + rng.normal(0, 30, (h, w)), 0, 255).astype(np.uint8)
    alpha[:, :6] = 0
    alpha[40:, :] = 255
    alpha[5:9, 50:60] = 0
    rgba = np.dstack([rgb, alpha])
    images = {
        "rgb": Image.fromarray(rgb, "RGB"),
        "rgba": Image.fromarray(rgba, "RGBA"),
        "l": Image.fromarray(rgb, "RGB").convert("L"),
        "la": Image.fromarray(rgba, "RGBA").convert("LA"),
        "small-rgb": Image.fromarray(rng.integers(0, 256, (7, 5, 3), dtype=np.uint8), "RGB"),
        "pixel-rgba": Image.fromarray(np.array([[[200, 100, 50, 128]]], dtype=np.uint8), "RGBA"),
        "rgba-small": Image.fromarray(rgba[8:24, 28:52], "RGBA"),
        "other-rgb": Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8), "RGB"),
    }
    mask = np.zeros((h, w), dtype=np.float64)
    mask += 255 * np.clip((xx - 16) / 32, 0, 1)
    mask[20:28, :] = 255
    mask[:, 60:] = 0
    images["mask-l"] = Image.fromarray(np.clip(mask, 0, 255).astype(np.uint8), "L")
    binary = np.zeros((h, w), dtype=np.uint8)
    binary[12:36, 18:50] = 255
    binary[20:24, 26:30] = 0
    images["mask-binary"] = Image.fromarray(binary, "L")
    # Every (r, g, b) with components in a coarse grid: colour-space conversions are checked on all of them.
    grid = np.array([[r, g, b] for r in range(0, 256, 15) for g in range(0, 256, 15) for b in range(0, 256, 15)], dtype=np.uint8)
    grid = grid[: (len(grid) // 64) * 64].reshape(-1, 64, 3)
    images["colors"] = Image.fromarray(grid, "RGB")
    return images


# ----------------------------------------------------------------------------------------------------------------
# Cases: each mirrors the Pillow calls InvokeAI's node (or Pillow primitive) makes.

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def register_all(imgs: dict[str, Image.Image], inp) -> None:
    register_primitives(imgs, inp)
    register_image_nodes(imgs, inp)
    register_mask_nodes(imgs, inp)
    register_tile_nodes(imgs, inp)
    register_infill_nodes(imgs, inp)
    register_cv_nodes(imgs, inp)
    register_noise_nodes(imgs, inp)
    register_composition_nodes(imgs, inp)


# Mirrors of InvokeAI's node bodies (invokeai/app/invocations/image.py): the Pillow/NumPy calls they make.

def node_img_crop(image, x, y, width, height):
    crop = Image.new(mode="RGBA", size=(width, height), color=(0, 0, 0, 0))
    crop.paste(image, (-x, -y))
    return crop


def node_img_paste(base_image, image, mask, x, y, crop):
    if mask is not None:
        mask = ImageOps.invert(mask.convert("L"))
    min_x, min_y = min(0, x), min(0, y)
    max_x, max_y = max(base_image.width, image.width + x), max(base_image.height, image.height + y)
    new_image = Image.new(mode="RGBA", size=(max_x - min_x, max_y - min_y), color=(0, 0, 0, 0))
    new_image.paste(base_image, (abs(min_x), abs(min_y)))
    new_image.paste(image, (max(0, x), max(0, y)), mask=mask)
    if crop:
        bw, bh = base_image.size
        new_image = new_image.crop((abs(min_x), abs(min_y), abs(min_x) + bw, abs(min_y) + bh))
    return new_image


def node_unsharp_mask(image, radius, strength):
    mode = image.mode
    alpha = image.getchannel("A") if mode == "RGBA" else None
    image = image.convert("RGB")
    blurred = np.array(image.filter(ImageFilter.GaussianBlur(radius=radius))) / 255
    arr = np.array(image) / 255
    arr += (arr - blurred) * (strength / 100.0)
    arr = np.clip(arr, 0, 1)
    out = Image.fromarray((arr * 255).astype("uint8")).convert(mode)
    if alpha is not None:
        out.putalpha(alpha)
    return out


def node_img_lerp(image, lo, hi):
    arr = np.asarray(image, dtype=np.float32) / 255
    arr = arr * (hi - lo) + lo
    return Image.fromarray(np.uint8(arr))


def node_img_ilerp(image, lo, hi):
    arr = np.asarray(image, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        arr = np.minimum(np.maximum(arr - lo, 0) / float(hi - lo), 1) * 255
        return Image.fromarray(np.uint8(arr))


def node_img_hue_adjust(image, hue):
    hsv = np.array(image.convert("HSV"))
    shift = int(256 * ((hue % 360) / 360))
    # InvokeAI writes `(hsv + shift) % 256` on uint8 data, which wraps modulo 256 under NumPy 1 (NumPy 2 raises
    # OverflowError on the literal 256): the NumPy 1 result is the intended one and is what is computed here.
    hsv[:, :, 0] = (hsv[:, :, 0].astype(np.int64) + shift) % 256
    return Image.fromarray(hsv, mode="HSV").convert("RGBA")


CHANNEL_FORMATS = {
    "Red (RGBA)": ("RGBA", 0), "Green (RGBA)": ("RGBA", 1), "Blue (RGBA)": ("RGBA", 2), "Alpha (RGBA)": ("RGBA", 3),
    "Cyan (CMYK)": ("CMYK", 0), "Magenta (CMYK)": ("CMYK", 1), "Yellow (CMYK)": ("CMYK", 2), "Black (CMYK)": ("CMYK", 3),
    "Hue (HSV)": ("HSV", 0), "Saturation (HSV)": ("HSV", 1), "Value (HSV)": ("HSV", 2),
    "Luminosity (LAB)": ("LAB", 0), "A (LAB)": ("LAB", 1), "B (LAB)": ("LAB", 2),
    "Y (YCbCr)": ("YCbCr", 0), "Cb (YCbCr)": ("YCbCr", 1), "Cr (YCbCr)": ("YCbCr", 2),
}


def node_img_channel_offset(image, channel, offset):
    mode, idx = CHANNEL_FORMATS[channel]
    conv = np.array(image.convert(mode)).astype(int)
    conv[:, :, idx] = np.clip(conv[:, :, idx] + offset, 0, 255)
    return Image.fromarray(conv.astype(np.uint8), mode=mode).convert("RGBA")


def node_img_channel_multiply(image, channel, scale, invert):
    mode, idx = CHANNEL_FORMATS[channel]
    conv = np.array(image.convert(mode)).astype(float)
    ch = np.clip(conv[:, :, idx] * scale, 0, 255)
    if invert:
        ch = 255 - ch
    conv[:, :, idx] = ch
    return Image.fromarray(conv.astype(np.uint8), mode=mode).convert("RGBA")


def channel_tolerance(channel):
    space = CHANNEL_FORMATS[channel][0]
    # LAB goes through LittleCMS and YCbCr through Pillow's 6-bit tables: approximated here, exact elsewhere.
    return {"LAB": {"psnr": 40}, "YCbCr": {"psnr": 45}}.get(space, {"max_diff": 0})


def register_image_nodes(imgs, inp) -> None:
    for key, box in (("rgba", (-10, 5, 50, 60)), ("rgb", (20, 10, 8, 9)), ("l", (60, 40, 30, 30)), ("la", (0, 0, 64, 48))):
        case("img_crop", [inp(key)], node_img_crop(imgs[key], *box), dict(zip(("x", "y", "width", "height"), box)))
    mask40 = imgs["mask-l"].crop((0, 0, 56, 40))
    mask_file = save(mask40, "input-mask-l-40")
    for base, img, mask, x, y, crop in (
        ("rgb", "other-rgb", None, 20, 15, False),
        ("rgb", "other-rgb", mask_file, -12, 30, False),
        ("rgba", "other-rgb", mask_file, 30, -7, True),
        ("l", "other-rgb", mask_file, 4, 4, True),
        ("rgba", "la", None, -70, -50, False),
    ):
        m = mask40 if mask else None
        inputs = [inp(base), inp(img)] + ([mask] if mask else [])
        case("img_paste", inputs, node_img_paste(imgs[base], imgs[img], m, x, y, crop), {"x": x, "y": y, "crop": crop})
    for key in ("rgb", "rgba", "l", "la"):
        for radius, strength in ((2, 50), (0.7, 150), (5, 0)):
            case("unsharp_mask", [inp(key)], node_unsharp_mask(imgs[key], radius, strength), {"radius": radius, "strength": strength})
    for key in ("rgba", "l"):
        for lo, hi in ((0, 255), (40, 200), (200, 40), (255, 0)):
            case("img_lerp", [inp(key)], node_img_lerp(imgs[key], lo, hi), {"min": lo, "max": hi})
            if lo != hi:
                case("img_ilerp", [inp(key)], node_img_ilerp(imgs[key], lo, hi), {"min": lo, "max": hi})
    case("img_ilerp", [inp("rgb")], node_img_ilerp(imgs["rgb"], 100, 100), {"min": 100, "max": 100})
    for key in ("rgba-small", "colors", "l"):
        for hue in (0, 37, 200, -50, 719):
            case("img_hue_adjust", [inp(key)], node_img_hue_adjust(imgs[key], hue), {"hue": hue})
    for channel in CHANNEL_FORMATS:
        tol = channel_tolerance(channel)
        case("img_channel_offset", [inp("rgba-small")], node_img_channel_offset(imgs["rgba-small"], channel, 77), {"channel": channel, "offset": 77}, tol)
        case("img_channel_offset", [inp("colors")], node_img_channel_offset(imgs["colors"], channel, -120), {"channel": channel, "offset": -120}, tol)
        case("img_channel_multiply", [inp("rgba-small")], node_img_channel_multiply(imgs["rgba-small"], channel, 1.7, False), {"channel": channel, "scale": 1.7, "invert_channel": False}, tol)
        case("img_channel_multiply", [inp("rgba-small")], node_img_channel_multiply(imgs["rgba-small"], channel, 0.35, True), {"channel": channel, "scale": 0.35, "invert_channel": True}, tol)
    for channel in ("Black (CMYK)", "Hue (HSV)"):
        case("img_channel_offset", [inp("l")], node_img_channel_offset(imgs["l"], channel, 50), {"channel": channel, "offset": 50})
    for ch in ("A", "R", "G", "B"):
        case("img_chan", [inp("rgba")], imgs["rgba"].getchannel(ch), {"channel": ch})
    for key in ("rgba", "rgb", "l", "la"):
        for invert in (False, True):
            m = imgs[key].split()[-1]
            case("tomask", [inp(key)], ImageOps.invert(m) if invert else m, {"invert": invert})
    case("mask_combine", [inp("mask-l"), inp("rgba")], ImageChops.multiply(imgs["mask-l"].convert("L"), imgs["rgba"].convert("L")), {})
    for mode in ("RGB", "RGBA"):
        for color in ((0, 0, 0, 255), (12, 200, 99, 30)):
            img = Image.new(mode=mode, size=(9, 5), color=color)
            case("blank_image", [], img, {"width": 9, "height": 5, "mode": mode, "color": dict(zip("rgba", color))})


def register_primitives(imgs: dict[str, Image.Image], inp) -> None:
    # Resampling: every filter, down, up and mixed, on RGB and RGBA (premultiplied path); grey modes spot-checked.
    for key in ("rgb", "rgba"):
        for mode in RESAMPLE:
            for size in ((37, 29), (80, 61), (90, 21)):
                out = imgs[key].resize(size, RESAMPLE[mode])
                case("resize", [inp(key)], out, {"width": size[0], "height": size[1], "resample_mode": mode})
    for key in ("l", "la"):
        for mode in ("nearest", "bicubic", "lanczos"):
            out = imgs[key].resize((41, 33), RESAMPLE[mode])
            case("resize", [inp(key)], out, {"width": 41, "height": 33, "resample_mode": mode})
    for mode in RESAMPLE:
        out = imgs["pixel-rgba"].resize((3, 2), RESAMPLE[mode])
        case("resize", [inp("pixel-rgba")], out, {"width": 3, "height": 2, "resample_mode": mode})
        out = imgs["small-rgb"].resize((1, 1), RESAMPLE[mode])
        case("resize", [inp("small-rgb")], out, {"width": 1, "height": 1, "resample_mode": mode})

    # Blur: Pillow's box-approximated Gaussian (three passes) and single box blur, fractional radii included.
    for key in ("rgba", "rgb", "l"):
        for radius in (0.5, 1, 2.5, 8, 30):
            case("gaussian_blur", [inp(key)], imgs[key].filter(ImageFilter.GaussianBlur(radius)), {"radius": radius})
        for radius in (0.5, 1, 3.7, 50):
            case("box_blur", [inp(key)], imgs[key].filter(ImageFilter.BoxBlur(radius)), {"radius": radius})
    case("gaussian_blur", [inp("small-rgb")], imgs["small-rgb"].filter(ImageFilter.GaussianBlur(4)), {"radius": 4})

    # Mode conversions among the modes a RawImage holds.
    for key in ("rgb", "rgba", "l", "la"):
        for mode in ("L", "LA", "RGB", "RGBA"):
            if imgs[key].mode != mode:
                case("convert", [inp(key)], imgs[key].convert(mode), {"mode": mode})
    case("convert", [inp("colors")], imgs["colors"].convert("L"), {"mode": "L"})

    # Crop with a box reaching outside the image.
    for box in ((-10, 5, 40, 65), (20, 10, 30, 20), (60, 40, 100, 90), (-5, -5, 0, 0)):
        case("crop", [inp("rgba")], imgs["rgba"].crop(box), {"box": list(box)})
    case("crop", [inp("l")], imgs["l"].crop((-3, -4, 70, 20)), {"box": [-3, -4, 70, 20]})

    # Paste, with and without masks, into bases of several modes.
    for base_key, src_key, mask_key, xy in (
        ("rgba", "rgb", None, (10, -6)),
        ("rgb", "rgba", None, (-20, 12)),
        ("rgb", "other-rgb", "mask-l-40", (5, 3)),
        ("rgba", "la", "la", (7, -9)),
        ("l", "rgba", "rgba", (-30, 2)),
        ("rgba", "rgba", "rgba", (0, 0)),
    ):
        base = imgs[base_key].copy()
        src = imgs[src_key]
        mask = None
        inputs = [inp(base_key), inp(src_key)]
        if mask_key == "mask-l-40":
            mask = imgs["mask-l"].crop((0, 0, src.width, src.height))
            inputs.append(save(mask, "input-mask-l-40"))
        elif mask_key is not None:
            mask = imgs[mask_key]
            inputs.append(inp(mask_key))
        base.paste(src, xy, mask)
        case("paste", inputs, base, {"x": xy[0], "y": xy[1]})

    # ImageChops and point operations.
    case("multiply", [inp("rgb"), inp("other-rgb")], ImageChops.multiply(imgs["rgb"], imgs["other-rgb"]), {})
    case("multiply", [inp("rgba"), inp("rgba")], ImageChops.multiply(imgs["rgba"], imgs["rgba"]), {})
    case("screen", [inp("rgb"), inp("other-rgb")], ImageChops.screen(imgs["rgb"], imgs["other-rgb"]), {})
    case("difference", [inp("rgb"), inp("other-rgb")], ImageChops.difference(imgs["rgb"], imgs["other-rgb"]), {})
    case("invert", [inp("l")], ImageOps.invert(imgs["l"]), {})
    case("invert", [inp("rgb")], ImageOps.invert(imgs["rgb"]), {})

    # Colour spaces: HSV and CMYK round trips are exact in Pillow's C code; LAB goes through LittleCMS.
    for key in ("colors", "rgb"):
        hsv = imgs[key].convert("HSV")
        case("hsv_round_trip", [inp(key)], hsv.convert("RGB"), {})
        case("to_hsv", [inp(key)], Image.fromarray(np.array(hsv), "RGB"), {})
        case("to_cmyk_k", [inp(key)], imgs[key].convert("CMYK").getchannel("K"), {})
        case("to_ycbcr", [inp(key)], Image.fromarray(np.array(imgs[key].convert("YCbCr")), "RGB"), {}, {"max_diff": 1})
        # a* and b* are signed bytes; stored with 128 added so that the byte difference is the colour difference.
        lab = np.array(imgs[key].convert("LAB"))
        lab[..., 1:] ^= 128
        case("to_lab", [inp(key)], Image.fromarray(lab, "RGB"), {}, {"max_diff": 2})


# Mirrors of invokeai/app/invocations/mask.py and the mask nodes of image.py.

def mask_bool_image(mask: np.ndarray) -> Image.Image:
    """A [1, H, W] boolean mask stored as an L image (255 = True)."""
    return Image.fromarray((mask[0].astype(np.uint8) * 255), "L")


def node_rectangle_mask(width, height, x_left, y_top, rw, rh):
    mask = np.zeros((1, height, width), dtype=bool)
    mask[:, y_top : y_top + rh, x_left : x_left + rw] = True
    return mask


def node_get_image_mask_bounding_box(mask_image, margin, color):
    arr = np.array(mask_image.convert("RGBA"))
    y, x = np.where(np.all(arr == color, axis=-1))
    if len(x) == 0:
        return {"x_min": 0, "y_min": 0, "x_max": 0, "y_max": 0}
    left, upper, right, lower = x.min(), y.min(), x.max(), y.max()
    return {
        "x_min": int(max(0, left - margin)),
        "y_min": int(max(0, upper - margin)),
        "x_max": int(min(arr.shape[1], right + margin)),
        "y_max": int(min(arr.shape[0], lower + margin)),
    }


def node_mask_from_id(image, color, threshold, invert):
    img = image.convert("RGBA")
    dist = np.linalg.norm(np.array(img).astype(np.int64) - np.array(color), axis=-1)
    out = Image.fromarray((dist < threshold).astype(np.uint8) * 255)
    return ImageOps.invert(out) if invert else out


def node_apply_mask_to_image(image, mask, invert):
    image = image.convert("RGBA")
    mask = mask.convert("L")
    if invert:
        mask = ImageOps.invert(mask)
    r, g, b, _ = image.split()
    return Image.merge("RGBA", (r, g, b, mask))


def node_apply_tensor_mask(image, mask_bool, invert):
    image = image.convert("RGBA")
    m = (mask_bool[0].astype(np.uint8) * 255)
    if invert:
        m = 255 - m
    arr = np.array(image)
    arr[..., 3] = np.where(arr[..., 3] > 0, m, arr[..., 3])
    return Image.fromarray(arr, "RGBA")


def register_mask_nodes(imgs, inp) -> None:
    for args in ((20, 12, 3, 2, 5, 4), (20, 12, -6, -4, 3, 10), (9, 7, 5, 5, 100, 100), (6, 4, 7, 0, 2, 2)):
        keys = ("width", "height", "x_left", "y_top", "rectangle_width", "rectangle_height")
        case("rectangle_mask", [], mask_bool_image(node_rectangle_mask(*args)), dict(zip(keys, args)))
    for invert in (False, True):
        a = np.array(imgs["rgba"])[:, :, 3]
        case("alpha_mask_to_tensor", [inp("rgba")], mask_bool_image(np.array([a == 0 if invert else a > 0])), {"invert": invert})
        l = np.array(imgs["mask-l"].convert("L"))
        case("image_mask_to_tensor", [inp("mask-l")], mask_bool_image(np.array([l >= 100 if invert else l < 100])), {"cutoff": 100, "invert": invert})
        base = np.array([np.array(imgs["mask-binary"]) > 0])
        case("apply_tensor_mask_to_image", [inp("rgba"), inp("mask-binary")], node_apply_tensor_mask(imgs["rgba"], base, invert), {"invert": invert})
        case("apply_mask_to_image", [inp("rgb"), inp("mask-l")], node_apply_mask_to_image(imgs["rgb"], imgs["mask-l"], invert), {"invert_mask": invert})
        case("mask_from_id", [inp("rgba")], node_mask_from_id(imgs["rgba"], (250, 20, 40, 255), 60, invert), {"color": {"r": 250, "g": 20, "b": 40, "a": 255}, "threshold": 60, "invert": invert})
    bbox_input = save(imgs["mask-binary"].convert("RGBA"), "input-mask-binary-rgba")
    for margin, color in ((0, (255, 255, 255, 255)), (5, (255, 255, 255, 255)), (3, (0, 0, 0, 255)), (0, (1, 2, 3, 4))):
        bb = node_get_image_mask_bounding_box(imgs["mask-binary"], margin, color)
        case("get_image_mask_bounding_box", [bbox_input], None, {"margin": margin, "mask_color": dict(zip("rgba", color))}, extra={"expected": bb})
    for key, box in (("rgba", (5, 6, 40, 30)), ("rgb", (-4, -3, 10, 12)), ("rgba", None), ("la", None)):
        im = imgs[key]
        out = im.crop(box if box is not None else im.getbbox())
        params = {"bounding_box": None if box is None else {"x_min": box[0], "y_min": box[1], "x_max": box[2], "y_max": box[3]}}
        case("crop_image_to_bounding_box", [inp(key)], out, params)
    for src_key, tgt_key, xy in (("rgba-small", "rgb", (10, 20)), ("rgba-small", "rgba", (-4, 40))):
        src = imgs[src_key].convert("RGBA")
        tgt = imgs[tgt_key].convert("RGBA")
        box = (xy[0], xy[1], xy[0] + src.width, xy[1] + src.height)
        tgt.paste(src, box, src)
        bb = {"x_min": box[0], "y_min": box[1], "x_max": box[2], "y_max": box[3]}
        case("paste_image_into_bounding_box", [inp(src_key), inp(tgt_key)], tgt, {"bounding_box": bb})


# Mirrors of invokeai/backend/tiles (tile layouts and the two merge strategies).

def tiles_overlap(tiles, nx, ny):
    for y in range(ny):
        for x in range(nx):
            cur = tiles[y * nx + x]
            if y > 0:
                up = tiles[(y - 1) * nx + x]
                cur["overlap"]["top"] = max(0, up["coords"]["bottom"] - cur["coords"]["top"])
                up["overlap"]["bottom"] = cur["overlap"]["top"]
            if x > 0:
                lf = tiles[y * nx + x - 1]
                cur["overlap"]["left"] = max(0, lf["coords"]["right"] - cur["coords"]["left"])
                lf["overlap"]["right"] = cur["overlap"]["left"]
    return tiles


def new_tile(top, bottom, left, right):
    return {"coords": {"top": top, "bottom": bottom, "left": left, "right": right}, "overlap": {"top": 0, "bottom": 0, "left": 0, "right": 0}}


def tiles_with_overlap(ih, iw, th, tw, overlap):
    import math
    sy, sx = th - overlap, tw - overlap
    ny, nx = math.ceil((ih - overlap) / sy), math.ceil((iw - overlap) / sx)
    tiles = []
    for y in range(ny):
        for x in range(nx):
            t = new_tile(y * sy, y * sy + th, x * sx, x * sx + tw)
            if t["coords"]["bottom"] > ih:
                t["coords"]["bottom"], t["coords"]["top"] = ih, ih - th
            if t["coords"]["right"] > iw:
                t["coords"]["right"], t["coords"]["left"] = iw, iw - tw
            tiles.append(t)
    return tiles_overlap(tiles, nx, ny)


def tiles_even_split(ih, iw, nx, ny, overlap):
    import math
    def size(image, n):
        if n <= 1:
            return image
        return 8 * math.floor(((image + overlap * (n - 1)) // n) / 8)
    sx, sy = size(iw, nx), size(ih, ny)
    tiles = []
    for y in range(ny):
        top = y * (sy - overlap)
        bottom = ih if y == ny - 1 else min(top + sy, ih)
        for x in range(nx):
            left = x * (sx - overlap)
            right = iw if x == nx - 1 else min(left + sx, iw)
            tiles.append(new_tile(top, bottom, left, right))
    return tiles_overlap(tiles, nx, ny)


def tiles_min_overlap(ih, iw, th, tw, mo):
    import math
    tw, th = min(tw, iw), min(th, ih)
    nx, ny = math.ceil((iw - mo) / (tw - mo)), math.ceil((ih - mo) / (th - mo))
    tiles = []
    for y in range(ny):
        top = (y * (ih - th)) // (ny - 1) if ny > 1 else 0
        for x in range(nx):
            left = (x * (iw - tw)) // (nx - 1) if nx > 1 else 0
            tiles.append(new_tile(top, top + th, left, left + tw))
    return tiles_overlap(tiles, nx, ny)


def np_paste(dst, src, box, mask):
    mask = np.expand_dims(mask, -1)
    region = dst[box["top"] : box["bottom"], box["left"] : box["right"]]
    dst[box["top"] : box["bottom"], box["left"] : box["right"]] = src * mask + region * (1.0 - mask)


def rows_of(pairs):
    pairs = sorted(pairs, key=lambda p: p[0]["coords"]["left"])
    pairs = sorted(pairs, key=lambda p: p[0]["coords"]["top"])
    rows, cur, first = [], [], pairs[0][0]
    for t, im in pairs:
        if not (t["coords"]["top"] == first["coords"]["top"] and t["coords"]["bottom"] == first["coords"]["bottom"]):
            rows.append(cur)
            cur, first = [], t
        cur.append((t, im))
    rows.append(cur)
    return rows


def merge_linear(dst, tiles, images, blend):
    gx = np.linspace(0.0, 1.0, num=blend)
    gy = np.expand_dims(np.linspace(0.0, 1.0, num=blend), axis=1)
    for row in rows_of(list(zip(tiles, images))):
        first = row[0][0]
        rh = first["coords"]["bottom"] - first["coords"]["top"]
        row_image = np.zeros((rh, dst.shape[1], dst.shape[2]), dtype=dst.dtype)
        for t, im in row:
            mask = np.ones(im.shape[:2], dtype=np.float64)
            if t["overlap"]["left"] > 0:
                s = t["overlap"]["left"] // 2 - blend // 2
                mask[:, :s] = 0.0
                mask[:, s : s + blend] = gx
            np_paste(row_image, im, {"top": 0, "bottom": rh, "left": t["coords"]["left"], "right": t["coords"]["right"]}, mask)
        mask = np.ones(row_image.shape[:2], dtype=np.float64)
        if first["overlap"]["top"] > 0:
            s = first["overlap"]["top"] // 2 - blend // 2
            mask[:s, :] = 0.0
            mask[s : s + blend, :] = gy
        np_paste(dst, row_image, {"top": first["coords"]["top"], "bottom": first["coords"]["bottom"], "left": 0, "right": row_image.shape[1]}, mask)


def seam_blend(ia1, ia2, blend, x_seam):
    import math
    import cv2

    def shift(arr, num, fill=255.0):
        out = np.full_like(arr, fill)
        if num > 0:
            out[num:] = arr[:-num]
        elif num < 0:
            out[:num] = arr[-num:]
        else:
            out[:] = arr
        return out

    ia = np.dot(ia2, [0.2989, 0.5870, 0.1140]) - np.dot(ia1, [0.2989, 0.5870, 0.1140])
    if x_seam:
        ia = np.rot90(ia, 1)
    gutter = math.ceil(blend / 2) if blend > 0 else 0
    max_y, max_x = ia.shape
    max_x -= gutter
    min_x = gutter
    energy = np.abs(np.gradient(ia, axis=0)) + np.abs(np.gradient(ia, axis=1))
    res = np.copy(energy)
    for y in range(1, max_y):
        row = res[y, :]
        res[y, :] = res[y - 1, :] + np.min([row, shift(row, -1), shift(row, 1)], axis=0)
    line = np.empty([max_y], dtype=np.int64)
    line[max_y - 1] = np.argmin(res[max_y - 1, min_x : max_x - 1]) + min_x
    for ypos in range(max_y - 2, -1, -1):
        pos = line[ypos + 1]
        lpos = np.clip(pos - 1, min_x, max_x - 1)
        rpos = np.clip(pos + 1, min_x, max_x - 1)
        line[ypos] = np.argmin(energy[ypos, lpos : rpos + 1]) + lpos
    mask = np.zeros_like(ia)
    for ypos in range(0, max_y):
        mask[ypos, : line[ypos]] = 1
    if x_seam:
        mask = np.rot90(mask, 3)
    if blend > 0:
        mask = cv2.blur(mask, (blend, blend))
    mask = np.expand_dims(mask, -1)
    return ia1 * mask + ia2 * (1.0 - mask)


def merge_seam(dst, tiles, images, blend):
    for row in rows_of(list(zip(tiles, images))):
        first = row[0][0]
        rh = first["coords"]["bottom"] - first["coords"]["top"]
        row_image = np.zeros((rh, dst.shape[1], dst.shape[2]), dtype=dst.dtype)
        for t, im in row:
            ov = t["overlap"]["left"]
            if ov > 0:
                right = t["coords"]["left"] + ov
                row_image[:, t["coords"]["left"] : right] = seam_blend(row_image[:, t["coords"]["left"] : right], im[:, :ov], blend, False)
                row_image[:, right : t["coords"]["right"]] = im[:, ov:]
            else:
                row_image[:, t["coords"]["left"] : t["coords"]["right"]] = im
        ov = first["overlap"]["top"]
        if ov > 0:
            bottom = first["coords"]["top"] + ov
            dst[first["coords"]["top"] : bottom, :] = seam_blend(dst[first["coords"]["top"] : bottom, :], row_image[:ov, :], blend, True)
            dst[bottom : first["coords"]["bottom"], :] = row_image[ov:, :]
        else:
            dst[first["coords"]["top"] : first["coords"]["bottom"], :] = row_image


def register_tile_nodes(imgs, inp) -> None:
    for args in ((1024, 1024, 576, 576, 128), (100, 70, 48, 40, 16), (64, 64, 64, 64, 0), (77, 130, 30, 50, 7)):
        case("calculate_image_tiles", [], None, dict(zip(("image_height", "image_width", "tile_height", "tile_width", "overlap"), args)), extra={"expected": tiles_with_overlap(*args)})
    for args in ((1024, 1024, 2, 2, 128), (96, 160, 3, 2, 16), (64, 64, 1, 1, 0), (512, 768, 4, 3, 64)):
        case("calculate_image_tiles_even_split", [], None, dict(zip(("image_height", "image_width", "num_tiles_x", "num_tiles_y", "overlap"), args)), extra={"expected": tiles_even_split(*args)})
    for args in ((1024, 1024, 576, 576, 128), (100, 70, 48, 40, 16), (30, 20, 64, 64, 8), (1000, 333, 256, 128, 32)):
        case("calculate_image_tiles_min_overlap", [], None, dict(zip(("image_height", "image_width", "tile_height", "tile_width", "min_overlap"), args)), extra={"expected": tiles_min_overlap(*args)})
    # Merging: tiles cut from one scene, each shifted in brightness and noised so that seams matter.
    rng = np.random.default_rng(7)
    scene = np.array(imgs["rgb"].resize((100, 76), Image.Resampling.BICUBIC)).astype(np.int64)
    for layout, (tiles, name) in {
        "overlap": (tiles_with_overlap(76, 100, 40, 48, 16), "tiles-a"),
        "min": (tiles_min_overlap(76, 100, 36, 40, 12), "tiles-b"),
    }.items():
        files, images = [], []
        for i, t in enumerate(tiles):
            c = t["coords"]
            part = scene[c["top"] : c["bottom"], c["left"] : c["right"]] + rng.integers(-25, 25) + rng.integers(-6, 7, (c["bottom"] - c["top"], c["right"] - c["left"], 3))
            im = Image.fromarray(np.clip(part, 0, 255).astype(np.uint8), "RGB")
            files.append(save(im, f"input-{name}-{i}"))
            images.append(np.array(im))
        for mode, blend in (("Linear", 8), ("Linear", 12), ("Seam", 8), ("Seam", 0), ("Seam", 12)):
            if mode == "Linear" and any(0 < v < blend for t in tiles for v in t["overlap"].values()):
                continue
            dst = np.zeros((76, 100, 3), dtype=np.uint8)
            (merge_linear if mode == "Linear" else merge_seam)(dst, tiles, images, blend)
            case("merge_tiles_to_image", files, Image.fromarray(dst, "RGB"), {"blend_mode": mode, "blend_amount": blend, "tiles": tiles}, {"max_diff": 1})


# Mirrors of invokeai/app/invocations/infill.py and backend/image_util/infill_methods.

def node_infill_rgba(image, color):
    solid = Image.new("RGBA", image.size, color)
    out = Image.alpha_composite(solid, image.convert("RGBA"))
    out.paste(image, (0, 0), image.split()[-1])
    return out


def node_infill_tile(image, seed, tile_size):
    arr = np.array(image, dtype=np.uint8)
    rows, cols = arr.shape[:2]
    pool = []
    for y in range(0, rows - tile_size + 1, tile_size):
        for x in range(0, cols - tile_size + 1, tile_size):
            tile = arr[y : y + tile_size, x : x + tile_size]
            if np.all(tile[:, :, 3] == 255):
                pool.append(tile)
    filled = np.zeros((rows, cols, 3), dtype=np.uint8)
    rng = np.random.default_rng(seed)
    for y in range(0, rows, tile_size):
        for x in range(0, cols, tile_size):
            tile = pool[rng.integers(len(pool))]
            sy, sx = min(tile_size, rows - y), min(tile_size, cols - x)
            filled[y : y + sy, x : x + sx, :3] = tile[:sy, :sx, :3]
    out = Image.fromarray(filled, "RGB")
    out.paste(image, (0, 0), image.split()[-1])
    return out


def node_infill_cv2(image):
    import cv2
    bgr = cv2.cvtColor(np.array(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    mask = cv2.cvtColor(np.array(image.split()[3].convert("RGB")), cv2.COLOR_BGR2GRAY)
    result = cv2.inpaint(bgr, cv2.bitwise_not(mask), 3, cv2.INPAINT_TELEA)
    return Image.fromarray(cv2.cvtColor(result, cv2.COLOR_BGR2RGB))


def register_infill_nodes(imgs, inp) -> None:
    for color in ((127, 127, 127, 255), (10, 200, 30, 100)):
        case("infill_rgba", [inp("rgba")], node_infill_rgba(imgs["rgba"], color), {"color": dict(zip("rgba", color))})
    holes = np.array(imgs["rgb"].convert("RGBA"))
    holes[8:20, 10:26, 3] = 0
    holes[30:34, 40:60, 3] = 0
    holes[25:45, 2:8, 3] = 128
    holes_file = save(Image.fromarray(holes, "RGBA"), "input-rgba-holes")
    holed = Image.fromarray(holes, "RGBA")
    for seed, size in ((0, 8), (123, 5), (4294967295, 16)):
        case("infill_tile", [holes_file], node_infill_tile(holed, seed, size), {"seed": seed, "tile_size": size})
    # Telea is re-implemented (not a port of OpenCV): a few pixels near the image border differ by a few levels.
    case("infill_cv2", [holes_file], node_infill_cv2(holed), {}, {"psnr": 50})


# Mirrors of the OpenCV-based nodes: expand_mask_with_fade, mask_edge, canvas_paste_back, canny, color_map.

def node_expand_mask_with_fade(mask, threshold, fade):
    import cv2
    m = np.array(mask.convert("L"))
    if fade == 0:
        return Image.fromarray(m, "L")
    m = np.where(m > threshold, 255, 0).astype(np.uint8)
    black = (m == 0).astype(np.uint8)
    dist = cv2.distanceTransform(1 - black, cv2.DIST_L2, 5)
    d = np.clip(dist / fade, 0, 1)
    poly = np.poly1d(np.polyfit(np.array([0.0, 1.0 / fade, 0.2, 0.8, 1.0]), np.array([0.0, 0.0, 0.2, 0.9, 1.0]), 3))
    feather = np.clip(poly(d), 0, 1)
    return Image.fromarray(np.where(black == 1, 0, (feather * 255).astype(np.uint8)).astype(np.uint8), "L")


def node_mask_edge(image, edge_size, edge_blur, low, high):
    import cv2
    m = np.asarray(image.convert("L"), dtype=np.uint8)
    grad = np.uint8(255 * (1.0 - np.floor(np.abs(0.5 - np.float32(m) / 255.0) * 2.0)))
    edge = cv2.Canny(m, threshold1=low, threshold2=high)
    combined = cv2.dilate(grad + edge, np.ones((3, 3), np.uint8), iterations=int(edge_size / 2))
    out = Image.fromarray(combined)
    if edge_blur > 0:
        out = out.filter(ImageFilter.BoxBlur(edge_blur))
    return ImageOps.invert(out)


def node_canvas_paste_back(source, target, mask, blur):
    import cv2
    arr = np.array(mask)
    eroded = Image.fromarray(cv2.erode(arr, np.ones((blur, blur), np.uint8), iterations=3))
    if blur > 0:
        mask = eroded.filter(ImageFilter.GaussianBlur(blur))
    mask = ImageOps.invert(mask.convert("L"))
    out = source.copy()
    out.paste(target, (0, 0), mask)
    return out


def node_canny(image, low, high):
    import cv2
    bgr = cv2.cvtColor(np.array(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    return Image.fromarray(cv2.Canny(bgr, low, high))


def node_color_map(image, tile):
    import cv2
    arr = np.array(image.convert("RGB"))
    h, w = arr.shape[:2]
    small = cv2.resize(arr, (w // min(tile, w), h // min(tile, h)), interpolation=cv2.INTER_CUBIC)
    return Image.fromarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST))


def register_cv_nodes(imgs, inp) -> None:
    for key, threshold, fade in (("mask-binary", 0, 8), ("mask-l", 100, 5), ("mask-l", 0, 0), ("mask-binary", 10, 1)):
        case("expand_mask_with_fade", [inp(key)], node_expand_mask_with_fade(imgs[key], threshold, fade), {"threshold": threshold, "fade_size_px": fade}, {"max_diff": 1})
    for key, size, blur, lo, hi in (("mask-l", 4, 3, 100, 200), ("mask-binary", 1, 0, 50, 150), ("rgb", 6, 2, 80, 40)):
        case("mask_edge", [inp(key)], node_mask_edge(imgs[key], size, blur, lo, hi), {"edge_size": size, "edge_blur": blur, "low_threshold": lo, "high_threshold": hi})
    for src, tgt, mask, blur in (("rgb", "other-rgb", "mask-l-40", 0), ("rgba", "other-rgb", "mask-l-40", 2), ("l", "other-rgb", "mask-l-40", 5)):
        s = imgs[src].crop((0, 0, 56, 40))
        sf = save(s, f"input-{src}-56x40")
        m = imgs["mask-l"].crop((0, 0, 56, 40)) if blur != 2 else imgs["rgba"].crop((0, 0, 56, 40))
        mf = "input-mask-l-40.png" if blur != 2 else save(m, "input-rgba-56x40")
        case("canvas_paste_back", [sf, inp(tgt), mf], node_canvas_paste_back(s, imgs[tgt], m, blur), {"mask_blur": blur})
    for key, lo, hi in (("rgb", 100, 200), ("rgb", 30, 60), ("l", 250, 20), ("other-rgb", 200, 255)):
        case("canny_edge_detection", [inp(key)], node_canny(imgs[key], lo, hi), {"low_threshold": lo, "high_threshold": hi})
    for key, tile in (("rgb", 16), ("rgb", 7), ("rgba", 100), ("other-rgb", 5)):
        case("color_map", [inp(key)], node_color_map(imgs[key], tile), {"tile_size": tile}, {"max_diff": 1})


# Mirror of InvokeAI's img_noise (NumPy legacy RandomState on a SeedSequence-keyed MT19937).

def node_img_noise(image, mask, seed, noise_type, amount, noise_color, size):
    image = image.convert("RGBA")
    alpha = image.getchannel("A")
    rs = np.random.RandomState(np.random.MT19937(np.random.SeedSequence(seed)))
    shape = (image.height // size, image.width // size)
    if noise_type == "gaussian":
        noise = rs.normal(0, 1, shape + ((3,) if noise_color else ())) * 255
    else:
        noise = rs.choice([0, 255], shape + ((3,) if noise_color else ()), p=[1 - amount, amount])
    if not noise_color:
        noise = np.stack([noise] * 3, axis=-1)
    with np.errstate(invalid="ignore"):
        noise = Image.fromarray(noise.astype(np.uint8), mode="RGB").resize((image.width, image.height), Image.Resampling.NEAREST)
    noisy = Image.blend(image.convert("RGB"), noise, amount).convert("RGBA")
    noisy.putalpha(alpha)
    if mask is not None:
        mask = mask.convert("L")
        if mask.size != image.size:
            mask = mask.resize(image.size, Image.Resampling.LANCZOS)
        result = image.copy()
        result.paste(noisy, (0, 0), mask=ImageOps.invert(mask))
        noisy = result
    return noisy


def register_noise_nodes(imgs, inp) -> None:
    for key, mask, seed, kind, amount, color, size in (
        ("rgba", None, 0, "gaussian", 0.1, True, 1),
        ("rgb", None, 12345, "gaussian", 0.5, False, 3),
        ("rgba-small", "mask-l", 7, "salt_and_pepper", 0.3, True, 1),
        ("l", None, 4294967295, "salt_and_pepper", 0.05, False, 2),
        ("rgb", "mask-binary", 99, "gaussian", 1.0, True, 5),
    ):
        inputs = [inp(key)] + ([inp(mask)] if mask else [])
        out = node_img_noise(imgs[key], imgs[mask] if mask else None, seed, kind, amount, color, size)
        case("img_noise", inputs, out, {"seed": seed, "noise_type": kind, "amount": amount, "noise_color": color, "size": size})


# Mirrors of the composition nodes (invokeai/app/invocations/composition-nodes.py), torch replaced by the
# equivalent float32 NumPy arithmetic.

def node_img_enhance(image, invert, color, contrast, brightness, sharpness):
    from PIL import ImageEnhance
    out = image
    if invert:
        if out.mode not in ("L", "RGB"):
            out = out.convert("RGB")
        out = ImageOps.invert(out)
    if color != 1.0:
        out = ImageEnhance.Color(out).enhance(color)
    if contrast != 1.0:
        out = ImageEnhance.Contrast(out).enhance(contrast)
    if brightness != 1.0:
        out = ImageEnhance.Brightness(out).enhance(brightness)
    if sharpness != 1.0:
        out = ImageEnhance.Sharpness(out).enhance(sharpness)
    return out


def node_val_thresholds(image, invert, renorm, upper, lower):
    w, h = image.width - image.width % 8, image.height - image.height % 8
    if (w, h) != image.size:
        image = image.resize((w, h), Image.Resampling.LANCZOS)
    t = np.array(image).astype(np.float32) / np.float32(255)
    hi, lo = np.float32(upper), np.float32(lower)
    ones, zeros = (t < lo, t >= hi) if invert else (t >= hi, t < lo)
    if upper != lower:
        mask = (t >= lo) & (t < hi)
        if mask.any() and renorm:
            vmax, vmin = max(upper, lower), min(upper, lower)
            scaled = (t[mask] - np.float32(vmin)) / np.float32(vmax - vmin)
            t[mask] = (np.float32(1.0) - scaled) if invert else scaled
    t[ones] = 1
    t[zeros] = 0
    return Image.fromarray((t * np.float32(255)).astype(np.uint8))


def node_dilate_erode(image, rw, rh, mode):
    import cv2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rw * 2 + 1, rh * 2 + 1))
    fn = cv2.dilate if mode == "Dilate" else cv2.erode
    return Image.fromarray(fn(np.array(image), kernel, iterations=1), mode=image.mode)


def node_composite(subject, background, chroma_key, threshold, fill_x, fill_y, x_offset, y_offset):
    from ast import literal_eval
    from functools import reduce
    from PIL import ImageColor, ImageDraw
    background = background.convert("RGBA")
    subject = subject.convert("RGBA")
    key = chroma_key.strip()
    if key:
        if key[0] == "(":
            key = literal_eval(key)
            while len(key) < 3:
                key = tuple(list(key) + [0])
            if len(key) == 3:
                key = tuple(list(key) + [255])
        else:
            key = ImageColor.getcolor(key, "RGBA")
        limit = threshold ** 2.0
        px = subject.load()
        for i in range(subject.width):
            for j in range(subject.height):
                if reduce(lambda a, b: a + b, [(px[i, j][k] - key[k]) ** 2 for k in range(len(key))]) < limit:
                    px[i, j] = tuple(0 for _ in range(len(key)))
    else:
        for xy in ((0, 0), (0, subject.height - 1), (subject.width - 1, 0), (subject.width - 1, subject.height - 1)):
            ImageDraw.floodfill(subject, xy, (0, 0, 0, 0), thresh=threshold)
    ab, asub = background.width / background.height, subject.width / subject.height
    if fill_x and fill_y:
        subject = subject.resize((background.width, background.height))
    elif (fill_x and ab < asub) or (fill_y and asub <= ab):
        subject = ImageOps.pad(subject, (background.width, background.height), color=(0, 0, 0, 0))
    elif (fill_x and asub <= ab) or (fill_y and ab < asub):
        subject = ImageOps.fit(subject, (background.width, background.height))
    if x_offset != 0 or y_offset != 0:
        subject = ImageChops.offset(subject, x_offset, yoffset=-1 * y_offset)
    return Image.alpha_composite(background, subject)


def register_composition_nodes(imgs, inp) -> None:
    for key, args in (
        ("rgb", (False, 0.3, 1.0, 1.0, 1.0)),
        ("rgba", (False, 1.7, 0.6, 1.2, 1.0)),
        ("rgba", (True, 1.0, 1.0, 1.0, 2.5)),
        ("l", (False, 1.0, 1.4, 0.8, 0.2)),
        ("la", (False, 0.5, 1.0, 1.0, 3.0)),
    ):
        keys = ("invert", "color", "contrast", "brightness", "sharpness")
        case("invokeai_img_enhance", [inp(key)], node_img_enhance(imgs[key], *args), dict(zip(keys, args)))
    for key, args in (("rgb", (False, False, 0.5, 0.5)), ("rgba", (True, True, 0.7, 0.3)), ("l", (False, True, 0.8, 0.2)), ("small-rgb", (False, False, 0.6, 0.4))):
        keys = ("invert_output", "renormalize_values", "threshold_upper", "threshold_lower")
        src = imgs[key] if key != "small-rgb" else imgs["rgb"].crop((0, 0, 61, 45))
        inputs = [inp(key)] if key != "small-rgb" else [save(src, "input-rgb-61x45")]
        case("invokeai_img_val_thresholds", inputs, node_val_thresholds(src, *args), dict(zip(keys, args)))
    for key, rw, rh, mode in (("mask-binary", 3, 2, "Dilate"), ("rgb", 2, 4, "Erode"), ("rgba", 0, 0, "Dilate"), ("la", 5, 1, "Erode")):
        case("invokeai_img_dilate_erode", [inp(key)], node_dilate_erode(imgs[key], rw, rh, mode), {"radius_w": rw, "radius_h": rh, "mode": mode})
    # The compositor: a subject on a plain (slightly noisy) green backdrop, laid over the RGB input.
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:50, 0:90]
    subj = np.zeros((50, 90, 3), np.int64) + [20, 200, 40] + rng.integers(-6, 7, (50, 90, 3))
    blob = (xx - 45) ** 2 / 400 + (yy - 25) ** 2 / 150 < 1
    subj[blob] = [230, 60, 50]
    subject = Image.fromarray(np.clip(subj, 0, 255).astype(np.uint8), "RGB")
    sf = save(subject, "input-subject")
    for key, thr, fx, fy, xo, yo in (("", 30, False, True, 0, 0), ("#14c828", 40, True, True, 5, -3), ("green", 200, True, False, 0, 7), ("(20, 200, 40)", 25, False, True, -10, 0), ("", 30, True, False, 0, 0)):
        out = node_composite(subject, imgs["rgb"], key, thr, fx, fy, xo, yo)
        case("invokeai_img_composite", [sf, inp("rgb")], out, {"chroma_key": key, "threshold": thr, "fill_x": fx, "fill_y": fy, "x_offset": xo, "y_offset": yo})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.glob("*.png"):
        f.unlink()
    imgs = make_inputs()
    for key, img in imgs.items():
        save(img, f"input-{key}")

    def inp(key: str) -> str:
        return f"input-{key}.png"

    register_all(imgs, inp)
    (HERE / "manifest.json").write_text(json.dumps({"generator": "generate.py", "pillow": Image.__version__, "numpy": np.__version__, "cases": CASES}, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"{len(CASES)} cases, {len(list(OUT.glob('*.png')))} images, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
