"""Reference outputs for invokeai_img_blend, invokeai_img_hue_adjust_plus and invokeai_ealightness.

Run from the repository root (needs Pillow and NumPy only):

    python3 packages/nodes/test/composition/generate-blend-reference.py
    npx prettier --write packages/nodes/test/composition/blend-reference.json

InvokeAI computes these nodes with float32 torch tensors; this script redoes the same arithmetic with float32
NumPy arrays on the shared reference inputs (packages/nodes/test/reference/images/input-*.png), using Pillow for
the HSV and LAB conversions as InvokeAI does, and writes small PNGs plus blend-reference.json (cases, tolerances).
Only the colour spaces that need no ICC engine and no Ok* gamut solver are covered here; the others are checked
by properties in the TypeScript tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
INPUTS = HERE.parent / "reference" / "images"
OUT = HERE / "blend-reference"
F = np.float32


def load(name: str) -> Image.Image:
    return Image.open(INPUTS / name)


def tensor(img: Image.Image) -> np.ndarray:
    """3xHxW (or 1xHxW) float32 in 0..1, like tensor_from_pil_image(normalize=False)."""
    arr = np.asarray(img).astype(F) / F(255.0)
    return arr[None] if arr.ndim == 2 else np.transpose(arr, (2, 0, 1))


def to_bytes(t: np.ndarray) -> np.ndarray:
    """torchvision's to_pil_image on floats: mul(255) then byte() (truncation)."""
    t = np.nan_to_num(t.astype(F), nan=0.0)
    return np.clip(np.trunc(t * F(255.0)), 0, 255).astype(np.uint8)


def linear_from_srgb(t):
    t = t.astype(F)
    return np.where(t <= F(0.0404482362771082), t / F(12.92), np.power((t + F(0.055)) / F(1.055), F(2.4))).astype(F)


def srgb_from_linear(t):
    t = np.clip(t.astype(F), 0.0, 1.0)
    return np.where(t < F(0.0404482362771082 / 12.92), t * F(12.92), np.power(t, F(1 / 2.4)) * F(1.055) - F(0.055)).astype(F)


def hsl_from_srgb(rgb):
    mx, mn = rgb.max(0), rgb.min(0)
    s_, r_ = mx + mn, mx - mn
    l = s_ / F(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(mx == mn, F(0), np.where(l < 0.5, r_ / s_, r_ / (F(2) - s_)))
        rc, gc, bc = ((mx - rgb[c]) / r_ for c in range(3))
        h = np.where(rgb[0] == mx, bc - gc, np.where(rgb[1] == mx, F(2) + rc - bc, F(4) + gc - rc))
    h = np.where(mx == mn, F(0), np.remainder(h / F(6), F(1)))
    return np.stack([h * F(360), s, l]).astype(F)


def srgb_from_hsl(hsl):
    h, s, l = hsl[0] / F(360), np.clip(hsl[1], 0, 1), np.clip(hsl[2], 0, 1)
    m2 = np.where(l <= 0.5, l * (F(1) + s), l + s - l * s)
    m1 = F(2) * l - m2

    def v(hue):
        hue = np.remainder(hue, F(1))
        return np.where(hue < 1 / 6, m1 + (m2 - m1) * hue * F(6), np.where(hue < 0.5, m2, np.where(hue < 2 / 3, m1 + (m2 - m1) * (F(2 / 3) - hue) * F(6), m1)))

    out = np.stack([v(h + F(1 / 3)), v(h), v(h - F(1 / 3))])
    return np.where(s == 0, np.stack([l, l, l]), out).astype(F)


def hsv_space(img: Image.Image) -> np.ndarray:
    t = tensor(img.convert("HSV"))
    t[0] = t[0] * F(360)
    return t


def hsv_reassemble(t):
    hsv = np.stack([np.remainder(t[0], F(360)) / F(360), np.clip(t[1], 0, 1), np.clip(t[2], 0, 1)])
    b = to_bytes(hsv)
    rgb = Image.fromarray(np.transpose(b, (1, 2, 0)), mode="HSV").convert("RGB")
    return linear_from_srgb(tensor(rgb))


SPACES = {
    "RGB": (lambda img: tensor(img), linear_from_srgb, None),
    "Linear": (lambda img: linear_from_srgb(tensor(img)), lambda t: t, None),
    "HSL": (lambda img: hsl_from_srgb(tensor(img)), lambda t: linear_from_srgb(srgb_from_hsl(t)), (2, 1, 0, 360.0)),
    "HSV": (hsv_space, hsv_reassemble, (2, 1, 0, 360.0)),
}


def oklch_space(img):
    lab = oklab_from_linear(linear_from_srgb(tensor(img)))
    h = np.remainder(np.degrees(np.arctan2(lab[2], lab[1])), F(360))
    return np.stack([lab[0], np.sqrt(lab[1] ** 2 + lab[2] ** 2), h]).astype(F)


def oklch_reassemble(t):
    r = np.radians(t[2])
    return linear_from_oklab(np.stack([t[0], t[1] * np.cos(r), t[1] * np.sin(r)]).astype(F))


# Blend cases in the Ok spaces use adaptive_gamut 0 and high precision (3 Halley steps).
SPACES.update({
    "Okhsl": (lambda img: okhsl_from_srgb(tensor(img), 3), lambda t: linear_from_srgb(srgb_from_okhsl(t, 0.0, 3)), (2, 1, 0, 360.0)),
    "Okhsv": (lambda img: okhsv_from_srgb(tensor(img), 3), lambda t: linear_from_srgb(srgb_from_okhsv(t, 0.0, 3)), (2, 1, 0, 360.0)),
    "Oklch": (oklch_space, oklch_reassemble, (0, 1, 2, 360.0)),
})


def blend(upper_img, base_img, mask_img, mode, space_name, opacity, fit_w=False, fit_h=True):
    if fit_w and fit_h:
        upper_img = upper_img.resize(base_img.size)
    elif (fit_w and base_img.width / base_img.height < upper_img.width / upper_img.height) or (
        fit_h and upper_img.width / upper_img.height <= base_img.width / base_img.height
    ):
        upper_img = ImageOps.pad(upper_img, base_img.size, color=tuple(0 for _ in upper_img.getbands()))
    elif (fit_w and upper_img.width / upper_img.height <= base_img.width / base_img.height) or (
        fit_h and base_img.width / base_img.height < upper_img.width / upper_img.height
    ):
        upper_img = ImageOps.fit(upper_img, base_img.size)
    if mask_img is not None and mask_img.size != base_img.size:
        mask_img = ImageOps.pad(mask_img, base_img.size, color=tuple(0 for _ in mask_img.getbands()))
    space = "HSL" if space_name in ("RGB", "Linear") and mode in ("Hue", "Saturation", "Color", "Luminosity") else space_name
    to_space, reassemble, idx = SPACES[space]
    au = tensor(upper_img.getchannel("A"))[0] if upper_img.mode == "RGBA" else np.ones(upper_img.size[::-1], F)
    al = tensor(base_img.getchannel("A"))[0] if base_img.mode == "RGBA" else np.ones(base_img.size[::-1], F)
    upper_img, base_rgb = upper_img.convert("RGB"), base_img.convert("RGB")
    u, lo = to_space(upper_img), to_space(base_rgb)
    li, si, hi, period = idx if idx else (None, None, None, None)

    def clipped(t):
        return np.clip(np.nan_to_num(t, nan=np.finfo(F).max), 0.0, 1.0).astype(F)

    with np.errstate(all="ignore"):
        if mode == "Normal":
            res = reassemble(u)
        elif mode == "Multiply":
            res = reassemble(lo * u)
        elif mode == "Screen":
            res = reassemble(F(1) - (F(1) - u) * (F(1) - lo))
        elif mode in ("Overlay", "Hard Light"):
            subj = lo if mode == "Overlay" else u
            f = lambda a, b, s: np.where(s < 0.5, F(2) * b * a, F(1) - F(2) * (F(1) - b) * (F(1) - a))
            if li is None:
                u = f(u, lo, subj)
            else:
                u = u.copy()
                u[li] = f(u[li], lo[li], subj[li])
            res = clipped(reassemble(u))
        elif mode == "Soft Light":
            g = np.where(lo <= 0.25, ((F(16) * lo - F(12)) * lo + F(4)) * lo, np.sqrt(lo))
            f = lambda a, b, gg: np.where(a <= 0.5, b - (F(1) - b) * b * (F(1) - F(2) * a), b + (F(2) * a - F(1)) * (gg - b))
            if li is None:
                lo = f(u, lo, g)
            else:
                lo = lo.copy()
                lo[li] = f(u[li], lo[li], g[li])
            res = clipped(reassemble(lo))
        elif mode == "Linear Dodge (Add)":
            lo = lo + u
            if hi is not None:
                lo[hi] = np.remainder(lo[hi], F(period))
            res = clipped(reassemble(lo))
        elif mode == "Difference":
            res = clipped(reassemble(np.abs(lo - u)))
        elif mode == "Color Burn":
            res = clipped(reassemble(F(1) - np.minimum((F(1) - lo) / u, F(1))))
        elif mode == "Linear Burn":
            if li is None:
                lo = lo + u - F(1)
            else:
                lo = lo.copy()
                lo[li] = lo[li] + u[li] - F(1)
            res = clipped(reassemble(lo))
        elif mode == "Vivid Light":
            v = np.where(u < 0.5, (F(1) - (F(1) - lo) / u) / F(2), (lo / (F(1) - u)) / F(2))
            res = clipped(reassemble(clipped(reassemble(v))))
        elif mode in ("Lighten Only", "Darken Only"):
            fn = np.minimum if mode == "Darken Only" else np.maximum
            if li is None:
                u = fn(u, lo)
            else:
                cmp = (u[li] >= lo[li]) if mode == "Darken Only" else (u[li] < lo[li])
                u = np.where(cmp[None], lo, u)
            res = reassemble(u)
        elif mode in ("Hue", "Saturation", "Color", "Luminosity"):
            u = u.copy()
            take = {"Hue": [li, si], "Saturation": [li, hi], "Color": [li], "Luminosity": [si, hi]}[mode]
            for c in take:
                u[c] = lo[c]
            res = reassemble(u)
        else:
            raise ValueError(mode)
        up = srgb_from_linear(res)
        au = au * F(opacity)
        if mask_img is not None:
            au = au * (F(1) - tensor(mask_img.convert("L"))[0])
        a = au + al * (F(1) - au)
        out = (up * au + tensor(base_rgb) * al * (F(1) - au)) / a
    rgba = Image.fromarray(np.transpose(to_bytes(np.concatenate([out, a[None]])), (1, 2, 0)), mode="RGBA")
    return rgba.convert(base_img.mode)


# ---- Okhsl / Okhsv, following the float32 tensor code of InvokeAI's color_conversion.py (hue in degrees) ----------

M_LMS = np.array([[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566], [0.0883024619, 0.2817188376, 0.6299787005]], F)
M_LAB = np.array([[0.2104542553, 0.7936177850, -0.0040720468], [1.9779984951, -2.4285922050, 0.4505937099], [0.0259040371, 0.7827717662, -0.8086757660]], F)
M_LMS_ROOT = np.array([[1.0, 0.3963377774, 0.2158037573], [1.0, -0.1055613458, -0.0638541728], [1.0, -0.0894841775, -1.2914855480]], F)
M_RGB = np.array([[4.0767416621, -3.3077115913, 0.2309699292], [-1.2684380046, 2.6097574011, -0.3413193965], [-0.0041960863, -0.7034186147, 1.7076147010]], F)
K_LMS = np.array([[0.3963377774, 0.2158037573], [-0.1055613458, -0.0638541728], [-0.0894841775, -1.2914855480]], F)
SAT_K = np.array([[1.19086277, 1.76576728, 0.59662641, 0.75515197, 0.56771245], [0.73956515, -0.45954494, 0.08285427, 0.12541070, 0.14503204], [1.35733652, -0.00915799, -1.15130210, -0.50559606, 0.00692167]], F)


def oklab_from_linear(lin):
    lms = np.einsum("kc,chw->khw", M_LMS, lin)
    return np.einsum("lk,khw->lhw", M_LAB, np.sign(lms) * np.power(np.abs(lms), F(1 / 3)))


def linear_from_oklab(lab):
    return np.einsum("sk,khw->shw", M_RGB, np.einsum("kl,lhw->khw", M_LMS_ROOT, lab) ** 3)


def max_saturation(ab, steps):
    cond_r = F(-1.88170328) * ab[0] - F(0.80936493) * ab[1]
    cond_g = F(1.81444104) * ab[0] - F(1.19445276) * ab[1]
    terms = np.stack([np.ones_like(ab[0]), ab[0], ab[1], ab[0] ** 2, ab[0] * ab[1]])
    pick = lambda rows: np.where(cond_r > 1, rows[0], np.where(cond_g > 1, rows[1], rows[2]))
    s = pick([np.einsum("twh,t->wh", terms, SAT_K[i]) for i in range(3)])
    k = np.einsum("tc,cwh->twh", K_LMS, ab)
    for _ in range(steps):
        root = k * s + F(1)
        lms, d1, d2 = root ** 3, k * root ** 2 * F(3), k ** 2 * root * F(6)
        f = pick([np.einsum("c,cwh->wh", M_RGB[i], lms) for i in range(3)])
        f1 = pick([np.einsum("c,cwh->wh", M_RGB[i], d1) for i in range(3)])
        f2 = pick([np.einsum("c,cwh->wh", M_RGB[i], d2) for i in range(3)])
        s = s - f * f1 / (f1 ** 2 - f * f2 * F(0.5))
    return s


def find_cusp(ab, steps):
    s = max_saturation(ab, steps)
    rgb = linear_from_oklab(np.stack([np.ones_like(s), s * ab[0], s * ab[1]]))
    l = np.power(F(1) / rgb.max(0), F(1 / 3))
    return np.stack([l, l * s])


def gamut_intersection(ab, l1, c1, l0, steps, cusps=None):
    cusps = find_cusp(ab, steps) if cusps is None else cusps
    cond = (l1 - l0) * cusps[1] - (cusps[0] - l0) * c1
    t = np.where(cond <= 0, cusps[1] * l0 / (c1 * cusps[0] + cusps[1] * (l0 - l1)),
                 cusps[1] * (l0 - F(1)) / (c1 * (cusps[0] - F(1)) + cusps[1] * (l0 - l1)))
    k = np.einsum("tc,cwh->twh", K_LMS, ab)
    dt = k * c1 + (l1 - l0)
    for _ in range(steps):
        l = l0 * (F(1) - t) + t * l1
        c = t * c1
        root = k * c + l
        rgb = np.einsum("qt,twh->qwh", M_RGB, root ** 3) - F(1)
        rgb1 = np.einsum("qt,twh->qwh", M_RGB, root ** 2 * dt * F(3))
        rgb2 = np.einsum("qt,twh->qwh", M_RGB, dt ** 2 * root * F(6))
        u = rgb1 / (rgb1 ** 2 - rgb * rgb2 * F(0.5))
        tr = np.where(u < 0, np.finfo(F).max, -rgb * u)
        t = np.where(cond > 0, t + tr.min(0), t)
    return t


def gamut_clip(lin, alpha, steps):
    lab = oklab_from_linear(lin)
    c = np.maximum(np.sqrt(lab[1] ** 2 + lab[2] ** 2), F(0.00001))
    ab = lab[1:] / c
    ld = lab[0] - F(0.5)
    e1 = np.abs(ld) + c * F(alpha) + F(0.5)
    l0 = (np.sign(ld) * (e1 - np.sqrt(e1 ** 2 - np.abs(ld) * F(2))) + F(1)) * F(0.5)
    t = gamut_intersection(ab, lab[0], c, l0, steps)
    lc, cc = l0 * (F(1) - t) + t * lab[0], t * c
    clipped = linear_from_oklab(np.stack([lc, cc * ab[0], cc * ab[1]]))
    out_of = (lin.max(0) > 1) | (lin.min(0) < 0)
    return np.where(out_of[None], clipped, lin)


K1, K2 = F(0.206), F(0.03)
K3 = (F(1) + K1) / (F(1) + K2)
toe = lambda x: F(0.5) * (K3 * x - K1 + np.sqrt((K3 * x - K1) ** 2 + F(4) * K2 * K3 * x))
toe_inv = lambda x: (x ** 2 + K1 * x) / (K3 * (x + K2))


def st_mid(ab):
    a, b = ab[0], ab[1]
    s = F(0.11516993) + F(1) / (F(7.44778970) + F(4.15901240) * b + a * (F(-2.19557347) + F(1.75198401) * b + a * (F(-2.13704948) - F(10.02301043) * b + a * (F(-4.24894561) + F(5.38770819) * b + F(4.69891013) * a))))
    t = F(0.11239642) + F(1) / (F(1.61320320) - F(0.68124379) * b + a * (F(0.40370612) + F(0.90148123) * b + a * (F(-0.27087943) + F(0.61223990) * b + a * (F(0.00299215) - F(0.45399568) * b - F(0.14661872) * a))))
    return s, t


def chromas(l, ab, steps):
    cusps = find_cusp(ab, steps)
    c_max = gamut_intersection(ab, l, np.ones_like(l), l, steps, cusps)
    s_max, t_max = cusps[1] / cusps[0], cusps[1] / (F(1) - cusps[0])
    k = c_max / np.minimum(l * s_max, (F(1) - l) * t_max)
    sm, tm = st_mid(ab)
    ca, cb = l * sm, (F(1) - l) * tm
    c_mid = k * np.sqrt(np.sqrt(F(1) / (F(1) / ca ** 4 + F(1) / cb ** 4))) * F(0.9)
    ca, cb = l * F(0.4), (F(1) - l) * F(0.8)
    return np.sqrt(F(1) / (F(1) / ca ** 2 + F(1) / cb ** 2)), c_mid, c_max


def okhsl_from_srgb(rgb, steps):
    lab = oklab_from_linear(linear_from_srgb(rgb))
    c = np.sqrt(lab[1] ** 2 + lab[2] ** 2)
    with np.errstate(all="ignore"):
        ab = lab[1:] / c
        h = np.arctan2(-lab[2], -lab[1]) * F(0.5) / F(np.pi) + F(0.5)
        c0, cm, cx = chromas(lab[0], ab, steps)
        lt = c < cm
        k1 = np.where(lt, c0 * F(0.8), cm ** 2 * F(1.25 ** 2) * F(0.2) / c0)
        k2 = np.where(lt, F(1) - k1 / cm, F(1) - k1 / (cx - cm))
        t = np.where(lt, c / (k1 + k2 * c), (c - cm) / (k1 + k2 * (c - cm)))
        s = np.where(lt, t * F(0.8), t * F(0.2) + F(0.8))
    hsl = np.nan_to_num(np.stack([np.remainder(h * F(360), F(360)), s, toe(lab[0])]), nan=0.0).astype(F)
    hsl[1:] = np.clip(hsl[1:], 0, 1)
    return hsl


def srgb_from_okhsl(hsl, alpha, steps):
    s, l = np.clip(hsl[1], 0, 1), np.clip(hsl[2], 0, 1)
    unit_h = np.remainder(hsl[0], F(360)) / F(360)
    ab = np.stack([np.cos(unit_h * F(2 * np.pi)), np.sin(unit_h * F(2 * np.pi))])
    L = toe_inv(l)
    with np.errstate(all="ignore"):
        c0, cm, cx = chromas(L, ab, steps)
        lt = s < 0.8
        t = np.where(lt, s * F(1.25), (s - F(0.8)) / F(0.2))
        k1 = np.where(lt, c0 * F(0.8), cm ** 2 * F(1.25 ** 2) * F(0.2) / c0)
        k2 = np.where(lt, F(1) - k1 / cm, F(1) - k1 / (cx - cm))
        c = t * k1 / (F(1) - k2 * t)
        c = np.where(lt, c, cm + c)
        rgb = linear_from_oklab(np.stack([L, c * ab[0], c * ab[1]]))
        rgb = np.where((l == 1)[None], F(1), np.where((l == 0)[None], F(0), rgb))
        out = srgb_from_linear(gamut_clip(rgb, alpha, steps))
    return np.clip(np.nan_to_num(out, nan=0.0), 0, 1)


def hue_adjust_okhsl(img: Image.Image, degrees: float, steps: int = 3) -> Image.Image:
    hsl = okhsl_from_srgb(tensor(img.convert("RGB")), steps)
    hsl[0] = np.remainder(hsl[0] + F(degrees), F(360))
    return Image.fromarray(np.transpose(to_bytes(srgb_from_okhsl(hsl, 0.0, steps)), (1, 2, 0)), mode="RGB")


def okhsv_from_srgb(rgb, steps):
    lab = oklab_from_linear(linear_from_srgb(rgb))
    with np.errstate(all="ignore"):
        c = np.sqrt(lab[1] ** 2 + lab[2] ** 2)
        ab = lab[1:] / c
        h = np.arctan2(-lab[2], -lab[1]) * F(0.5) / F(np.pi) + F(0.5)
        cusps = find_cusp(ab, steps)
        s_max, t_max = cusps[1] / cusps[0], cusps[1] / (F(1) - cusps[0])
        s0 = F(0.5)
        k = F(1) - s0 / s_max
        t = t_max / (c + lab[0] * t_max)
        l_v, c_v = t * lab[0], t * c
        l_vt = toe_inv(l_v)
        c_vt = c_v * l_vt / l_v
        scale = linear_from_oklab(np.stack([l_vt, ab[0] * c_vt, ab[1] * c_vt]))
        scale_l = np.power(F(1) / np.maximum(scale.max(0), F(0)), F(1 / 3))
        L = toe(lab[0] / scale_l)
        v = L / l_v
        s = (s0 + t_max) * c_v / (t_max * s0 + t_max * k * c_v)
    hsv = np.nan_to_num(np.stack([np.remainder(h * F(360), F(360)), s, v]), nan=0.0).astype(F)
    hsv[1:] = np.clip(hsv[1:], 0, 1)
    return hsv


def srgb_from_okhsv(hsv, alpha, steps):
    s, v = np.clip(hsv[1], 0, 1), np.clip(hsv[2], 0, 1)
    unit_h = np.remainder(hsv[0], F(360)) / F(360)
    ab = np.stack([np.cos(unit_h * F(2 * np.pi)), np.sin(unit_h * F(2 * np.pi))])
    with np.errstate(all="ignore"):
        cusps = find_cusp(ab, steps)
        s_max, t_max = cusps[1] / cusps[0], cusps[1] / (F(1) - cusps[0])
        s0 = F(0.5)
        k = F(1) - s0 / s_max
        base = s0 + t_max - t_max * k * s
        l_v, c_v = F(1) - s * s0 / base, s * t_max * s0 / base
        L, C = v * l_v, v * c_v
        l_vt = toe_inv(l_v)
        c_vt = c_v * l_vt / l_v
        l_new = toe_inv(L)
        C, L = C * l_new / L, l_new
        scale = linear_from_oklab(np.stack([l_vt, ab[0] * c_vt, ab[1] * c_vt]))
        scale_l = np.power(F(1) / np.maximum(scale.max(0), F(0)), F(1 / 3))
        L, C = L * scale_l, C * scale_l
        out = srgb_from_linear(gamut_clip(linear_from_oklab(np.stack([L, C * ab[0], C * ab[1]])), alpha, steps))
    return np.clip(np.nan_to_num(out, nan=0.0), 0, 1)


def hue_adjust_okhsv(img: Image.Image, degrees: float, steps: int = 3) -> Image.Image:
    hsv = okhsv_from_srgb(tensor(img.convert("RGB")), steps)
    hsv[0] = np.remainder(hsv[0] + F(degrees), F(360))
    return Image.fromarray(np.transpose(to_bytes(srgb_from_okhsv(hsv, 0.0, steps)), (1, 2, 0)), mode="RGB")


def hue_adjust_hsv(img: Image.Image, degrees: float) -> Image.Image:
    mode = img.mode
    alpha = img.getchannel("A") if mode in ("RGBA", "LA") else None
    base = {"RGBA": "RGB", "LA": "L"}.get(mode, mode)
    t = tensor(img.convert("RGB").convert("HSV"))
    t[0] = np.remainder(t[0] * F(360) + F(degrees), F(360)) / F(360)
    out = Image.fromarray(np.transpose(to_bytes(t), (1, 2, 0)), mode="HSV").convert("RGB").convert(base)
    if alpha is not None:
        out = Image.merge(mode, [out.getchannel(c) for c in base] + [alpha])
    return out


def hue_adjust_oklch(img: Image.Image, degrees: float) -> Image.Image:
    """The *Oklch / Oklab space with ok_adaptive_gamut 0 (no gamut solver needed)."""
    rgb = tensor(img.convert("RGB"))
    lin = linear_from_srgb(rgb)
    m1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566], [0.0883024619, 0.2817188376, 0.6299787005]], F)
    m2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468], [1.9779984951, -2.4285922050, 0.4505937099], [0.0259040371, 0.7827717662, -0.8086757660]], F)
    lms = np.einsum("kc,chw->khw", m1, lin)
    lab = np.einsum("lk,khw->lhw", m2, np.cbrt(lms))
    c = np.sqrt(lab[1] ** 2 + lab[2] ** 2)
    h = np.remainder(np.degrees(np.arctan2(lab[2], lab[1])) + F(degrees), F(360))
    lab = np.stack([lab[0], c * np.cos(np.radians(h)), c * np.sin(np.radians(h))]).astype(F)
    m3 = np.array([[1.0, 0.3963377774, 0.2158037573], [1.0, -0.1055613458, -0.0638541728], [1.0, -0.0894841775, -1.2914855480]], F)
    m4 = np.array([[4.0767416621, -3.3077115913, 0.2309699292], [-1.2684380046, 2.6097574011, -0.3413193965], [-0.0041960863, -0.7034186147, 1.7076147010]], F)
    lin = np.einsum("sk,khw->shw", m4, np.einsum("kl,lhw->khw", m3, lab) ** 3)
    return Image.fromarray(np.transpose(to_bytes(srgb_from_linear(lin)), (1, 2, 0)), mode="RGB")


def hue_adjust_lch(img: Image.Image, degrees: float) -> Image.Image:
    """The *LCh / CIELab space through LittleCMS (Pillow's ImageCms), as InvokeAI does it."""
    from PIL import ImageCms

    srgb = ImageCms.createProfile("sRGB")
    lab_profile = ImageCms.createProfile("LAB", colorTemp=6500)
    to_lab = ImageCms.buildTransformFromOpenProfiles(srgb, lab_profile, "RGB", "LAB", renderingIntent=2, flags=0x2400)
    to_rgb = ImageCms.buildTransformFromOpenProfiles(lab_profile, srgb, "LAB", "RGB", renderingIntent=2, flags=0x2400)
    lab = ImageCms.applyTransform(img.convert("RGB"), to_lab)
    a = tensor(lab.getchannel("A")) * F(2) - F(1)
    b = tensor(lab.getchannel("B")) * F(2) - F(1)
    c = np.sqrt(a * a + b * b)
    h = np.arctan2(b, a) + F(degrees / 180.0 * np.pi)
    h = np.remainder(h + F(np.pi), F(2 * np.pi)) - F(np.pi)
    a_img = Image.fromarray(to_bytes((c * np.cos(h) + F(1)) / F(2))[0], mode="L")
    b_img = Image.fromarray(to_bytes((c * np.sin(h) + F(1)) / F(2))[0], mode="L")
    return ImageCms.applyTransform(Image.merge("LAB", (lab.getchannel("L"), a_img, b_img)), to_rgb)


def ealightness(img: Image.Image) -> Image.Image:
    if img.mode == "L":
        img = img.convert("RGB")
    lab = img.convert("LAB")
    l = tensor(lab.getchannel("L"))
    a = tensor(lab.getchannel("A")) * F(2) - F(1)
    b = tensor(lab.getchannel("B")) * F(2) - F(1)
    c = np.sqrt(a * a + b * b)
    h = np.arctan2(b, a)
    hm = np.remainder(h - F(np.pi / 2) + F(3 * np.pi), F(2 * np.pi)) - F(np.pi)
    f_by = F(0.1644) * np.abs(np.sin(hm / F(2))) + F(0.0603)
    f_r = np.where((h >= -np.pi / 2) & (h <= np.pi / 2), F(0.1307) * np.abs(np.cos(h)) + F(0.0060), F(0))
    adj = F(np.sum((f_by + f_r).astype(F) * c, dtype=F))
    out = ((l + adj) - adj) / ((F(1) + adj) - adj)
    return Image.fromarray(to_bytes(out)[0], mode="L")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rgb, other, rgba = load("input-rgb.png"), load("input-other-rgb.png"), load("input-rgba.png")
    mask, small = load("input-mask-l.png"), load("input-rgb-56x40.png")
    cases = []

    def add(name, op, image, params, inputs, tolerance):
        file = f"{name}.png"
        image.save(OUT / file, compress_level=9)
        cases.append({"name": name, "op": op, "inputs": inputs, "params": params, "output": file, "tolerance": tolerance})

    blends = [
        ("Normal", "RGB", 0.6, True),
        ("Multiply", "RGB", 1.0, False),
        ("Screen", "RGB", 1.0, False),
        ("Overlay", "RGB", 1.0, False),
        ("Hard Light", "RGB", 0.8, False),
        ("Soft Light", "RGB", 1.0, False),
        ("Difference", "RGB", 1.0, False),
        ("Linear Dodge (Add)", "RGB", 1.0, False),
        ("Color Burn", "RGB", 1.0, False),
        ("Vivid Light", "RGB", 1.0, False),
        ("Lighten Only", "RGB", 1.0, True),
        ("Darken Only", "HSL (RGB)", 1.0, False),
        ("Linear Burn", "Linear RGB", 1.0, False),
        ("Multiply", "HSL (RGB)", 1.0, False),
        ("Linear Dodge (Add)", "HSL (RGB)", 1.0, False),
        ("Overlay", "HSL (RGB)", 1.0, False),
        ("Hue", "RGB", 1.0, False),
        ("Color", "HSL (RGB)", 1.0, False),
        ("Luminosity", "HSL (RGB)", 0.7, False),
        ("Screen", "HSV (RGB)", 1.0, False),
        ("Linear Dodge (Add)", "HSV (RGB)", 1.0, False),
        ("Color", "Okhsl", 1.0, False),
        ("Overlay", "Okhsv", 1.0, False),
        ("Multiply", "Oklch (Oklab)", 1.0, False),
        ("Hue", "Oklch (Oklab)", 1.0, False),
    ]
    for i, (mode, space, opacity, with_mask) in enumerate(blends):
        params = {"blend_mode": mode, "color_space": space, "opacity": opacity}
        out = blend(other, rgb, mask if with_mask else None, mode, space.split()[0], opacity)
        inputs = ["input-other-rgb.png", "input-rgb.png"] + (["input-mask-l.png"] if with_mask else [])
        add(f"blend-{i:02d}", "invokeai_img_blend", out, params, inputs, {"max_diff": 2})
    # Alpha on both layers, and an upper layer letterboxed onto a larger base (fit_to_height).
    holes = load("input-rgba-holes.png")
    add("blend-rgba", "invokeai_img_blend", blend(rgba, holes, None, "Multiply", "RGB", 0.9),
        {"blend_mode": "Multiply", "color_space": "RGB", "opacity": 0.9}, ["input-rgba.png", "input-rgba-holes.png"], {"max_diff": 2})
    add("blend-pad", "invokeai_img_blend", blend(rgb, small, None, "Normal", "RGB", 1.0),
        {"blend_mode": "Normal", "color_space": "RGB", "opacity": 1.0},
        ["input-rgb.png", "input-rgb-56x40.png"], {"max_diff": 2})
    for deg in (90.0, -200.0):
        add(f"hue-hsv-{int(deg)}", "invokeai_img_hue_adjust_plus", hue_adjust_hsv(rgba, deg), {"space": "HSV / HSL / RGB", "degrees": deg},
            ["input-rgba.png"], {"max_diff": 0})
    add("hue-oklch-120", "invokeai_img_hue_adjust_plus", hue_adjust_oklch(rgb, 120.0),
        {"space": "*Oklch / Oklab", "degrees": 120.0, "ok_adaptive_gamut": 0.0}, ["input-rgb.png"], {"max_diff": 1})
    add("hue-lch-75", "invokeai_img_hue_adjust_plus", hue_adjust_lch(rgb, 75.0), {"space": "*LCh / CIELab", "degrees": 75.0},
        ["input-rgb.png"], {"max_diff": 255, "within": {"diff": 3, "fraction": 0.95, "reason": (
            "rotated colours outside the sRGB gamut are clipped differently by LittleCMS and Atelier's formula "
            "Lab conversion; in-gamut colours agree")}})
    add("hue-okhsl-40", "invokeai_img_hue_adjust_plus", hue_adjust_okhsl(rgb, 40.0), {"space": "Okhsl", "degrees": 40.0},
        ["input-rgb.png"], {"max_diff": 2})
    add("hue-okhsl-200-low", "invokeai_img_hue_adjust_plus", hue_adjust_okhsl(rgb, 200.0, 1),
        {"space": "Okhsl", "degrees": 200.0, "ok_high_precision": False}, ["input-rgb.png"], {"max_diff": 2})
    add("hue-okhsv-m70", "invokeai_img_hue_adjust_plus", hue_adjust_okhsv(rgb, -70.0), {"space": "Okhsv", "degrees": -70.0},
        ["input-rgb.png"], {"max_diff": 2})
    add("eal-rgb", "invokeai_ealightness", ealightness(rgb), {}, ["input-rgb.png"], {"max_diff": 3})
    (HERE / "blend-reference.json").write_text(json.dumps({"generator": "generate-blend-reference.py", "cases": cases}, indent=1) + "\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
