/**
 * Linear latent→RGB approximations InvokeAI uses for step previews (`invokeai/app/util/step_callback.py`, made with
 * its `scripts/generate_vae_linear_approximation.py`). Rows are latent channels, columns R, G, B.
 */

/** A per-model preview approximation: `rgb = latent · factors (+ bias)`, then optionally a 3×3 smoothing conv. */
export interface LatentRgbApproximation {
  readonly factors: readonly (readonly [number, number, number])[];
  readonly bias?: readonly [number, number, number];
  /** 3×3 kernel applied to each RGB plane with zero padding 1 (SDXL only). */
  readonly smooth?: readonly (readonly [number, number, number])[];
}

/** SD 1.x / 2.x (4 channels). */
export const SD1_5_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [0.3444, 0.1385, 0.067],
    [0.1247, 0.4027, 0.1494],
    [-0.3192, 0.2513, 0.2103],
    [-0.1307, -0.1874, -0.7445],
  ],
};

/** SDXL and its refiner (4 channels), with a smoothing kernel. */
export const SDXL_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [0.3816, 0.493, 0.532],
    [-0.3753, 0.1631, 0.1739],
    [0.177, 0.3588, -0.2048],
    [-0.435, -0.2644, -0.4289],
  ],
  smooth: [
    [0.0358, 0.0964, 0.0358],
    [0.0964, 0.4711, 0.0964],
    [0.0358, 0.0964, 0.0358],
  ],
};

/** SD 3.x (16 channels). */
export const SD3_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [-0.05240681, 0.03251581, 0.0749016],
    [-0.0580572, 0.00759826, 0.05729818],
    [0.16144888, 0.01270368, -0.03768577],
    [0.14418615, 0.08460266, 0.15941818],
    [0.04894035, 0.0056485, -0.06686988],
    [0.05187166, 0.19222395, 0.06261094],
    [0.1539433, 0.04818359, 0.07103094],
    [-0.08601796, 0.09013458, 0.10893912],
    [-0.12398469, -0.06766567, 0.0033688],
    [-0.0439737, 0.07825329, 0.02258823],
    [0.03101129, 0.06382551, 0.07753657],
    [-0.01315361, 0.08554491, -0.08772475],
    [0.06464487, 0.05914605, 0.13262741],
    [-0.07863674, -0.02261737, -0.12761454],
    [-0.09923835, -0.08010759, -0.06264447],
    [-0.03392309, -0.0804029, -0.06078822],
  ],
};

/** FLUX.1 and Z-Image (16 channels, unpacked). */
export const FLUX_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [-0.0412, 0.0149, 0.0521],
    [0.0056, 0.0291, 0.0768],
    [0.0342, -0.0681, -0.0427],
    [-0.0258, 0.0092, 0.0463],
    [0.0863, 0.0784, 0.0547],
    [-0.0017, 0.0402, 0.0158],
    [0.0501, 0.1058, 0.1152],
    [-0.0209, -0.0218, -0.0329],
    [-0.0314, 0.0083, 0.0896],
    [0.0851, 0.0665, -0.0472],
    [-0.0534, 0.0238, -0.0024],
    [0.0452, -0.0026, 0.0048],
    [0.0892, 0.0831, 0.0881],
    [-0.1117, -0.0304, -0.0789],
    [0.0027, -0.0479, -0.0043],
    [-0.1146, -0.0827, -0.0598],
  ],
};

/** FLUX.2 and ERNIE-Image (32 channels), with bias. */
export const FLUX2_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [0.0058, 0.0113, 0.0073],
    [0.0495, 0.0443, 0.0836],
    [-0.0099, 0.0096, 0.0644],
    [0.2144, 0.3009, 0.3652],
    [0.0166, -0.0039, -0.0054],
    [0.0157, 0.0103, -0.016],
    [-0.0398, 0.0902, -0.0235],
    [-0.0052, 0.0095, 0.0109],
    [-0.3527, -0.2712, -0.1666],
    [-0.0301, -0.0356, -0.018],
    [-0.0107, 0.0078, 0.0013],
    [0.0746, 0.009, -0.0941],
    [0.0156, 0.0169, 0.007],
    [-0.0034, -0.004, -0.0114],
    [0.0032, 0.0181, 0.008],
    [-0.0939, -0.0008, 0.0186],
    [0.0018, 0.0043, 0.0104],
    [0.0284, 0.0056, -0.0127],
    [-0.0024, -0.0022, -0.003],
    [0.1207, -0.0026, 0.0065],
    [0.0128, 0.0101, 0.0142],
    [0.0137, -0.0072, -0.0007],
    [0.0095, 0.0092, -0.0059],
    [0.0, -0.0077, -0.0049],
    [-0.0465, -0.0204, -0.0312],
    [0.0095, 0.0012, -0.0066],
    [0.029, -0.0034, 0.0025],
    [0.022, 0.0169, -0.0048],
    [-0.0332, -0.0457, -0.0468],
    [-0.0085, 0.0389, 0.0609],
    [-0.0076, 0.0003, -0.0043],
    [-0.0111, -0.046, -0.0614],
  ],
  bias: [-0.0329, -0.0718, -0.0851],
};

/** Wan 2.1 VAE (16 channels), with bias: Qwen-Image, Krea-2, Anima, Wan A14B. */
export const WAN21_LATENT_RGB: LatentRgbApproximation = {
  factors: [
    [-0.1299, -0.1692, 0.2932],
    [0.0671, 0.0406, 0.0442],
    [0.3568, 0.2548, 0.1747],
    [0.0372, 0.2344, 0.142],
    [0.0313, 0.0189, -0.0328],
    [0.0296, -0.0956, -0.0665],
    [-0.3477, -0.4059, -0.2925],
    [0.0166, 0.1902, 0.1975],
    [-0.0412, 0.0267, -0.1364],
    [-0.1293, 0.074, 0.1636],
    [0.068, 0.3019, 0.1128],
    [0.0032, 0.0581, 0.0639],
    [-0.1251, 0.0927, 0.1699],
    [0.006, -0.0633, 0.0005],
    [0.3477, 0.2275, 0.295],
    [0.1984, 0.0913, 0.1861],
  ],
  bias: [-0.1835, -0.0868, -0.336],
};

/** Base models (InvokeAI's `BaseModelType` values) that have a latent preview. */
export type PreviewBase =
  | "sd-1"
  | "sd-2"
  | "sdxl"
  | "sdxl-refiner"
  | "sd-3"
  | "flux"
  | "z-image"
  | "flux2"
  | "ernie-image"
  | "qwen-image"
  | "krea-2"
  | "anima"
  | "wan";

/** Which approximation each base model previews with (Wan means the Wan 2.1 VAE; Wan 2.2's 48-channel one is absent). */
export const LATENT_RGB_BY_BASE: Readonly<Record<PreviewBase, LatentRgbApproximation>> = {
  "sd-1": SD1_5_LATENT_RGB,
  "sd-2": SD1_5_LATENT_RGB,
  sdxl: SDXL_LATENT_RGB,
  "sdxl-refiner": SDXL_LATENT_RGB,
  "sd-3": SD3_LATENT_RGB,
  flux: FLUX_LATENT_RGB,
  "z-image": FLUX_LATENT_RGB,
  flux2: FLUX2_LATENT_RGB,
  "ernie-image": FLUX2_LATENT_RGB,
  "qwen-image": WAN21_LATENT_RGB,
  "krea-2": WAN21_LATENT_RGB,
  anima: WAN21_LATENT_RGB,
  wan: WAN21_LATENT_RGB,
};
