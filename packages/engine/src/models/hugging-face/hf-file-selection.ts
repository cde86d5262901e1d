import type { ModelRepoVariant } from "@atelier/core";

// Which files of a Hugging Face repo make up the model (InvokeAI's `filter_files` / `_filter_by_variant`): configs,
// tokenizer files and one set of weights per part, in the wanted variant where the part has it (so an fp16 request
// still gets the plain weights of a part that has no fp16 ones), safetensors before pickles, ONNX only on request.

/** A file as the hub lists it. */
export interface HfRepoFile {
  /** Path inside the repo, with `/`. */
  readonly path: string;
  /** Bytes, when the listing says. */
  readonly size?: number;
}

/** A file chosen for download, with where it goes relative to the model's root. */
export interface SelectedHfFile extends HfRepoFile {
  readonly relativePath: string;
}

const TEXT_SUFFIXES = [".json", ".txt", ".model"];
const WEIGHT_SUFFIXES = [".safetensors", ".bin", ".pt", ".pth", ".ckpt"];
const ONNX_SUFFIXES = [".onnx", ".onnx_data", ".pb"];
const VARIANT_LABELS = new Set(["fp16", "fp32"]);

const suffixOf = (name: string) => {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot).toLowerCase();
};
const parentOf = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const nameOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** `diffusion_pytorch_model.fp16.safetensors` → { base: "diffusion_pytorch_model", label: "fp16" }. */
function splitVariant(name: string): { base: string; label: string } {
  const stem = name.slice(0, name.length - suffixOf(name).length);
  const dot = stem.lastIndexOf(".");
  if (dot > 0 && VARIANT_LABELS.has(stem.slice(dot + 1)))
    return { base: stem.slice(0, dot), label: stem.slice(dot + 1) };
  // Sharded names carry the label before the shard number: model.fp16-00001-of-00002.safetensors.
  const sharded = /^(.*)\.(fp16|fp32)(-\d+-of-\d+)$/.exec(stem);
  if (sharded !== null) return { base: sharded[1] + sharded[3], label: sharded[2] };
  return { base: stem, label: "" };
}

function isOnnxRepoVariant(variant: ModelRepoVariant | null | undefined): boolean {
  return variant === "onnx";
}

/** Options of `selectHfFiles`. */
export interface HfSelectionOptions {
  /** The repo variant wanted (`fp16`, `onnx`, …); parts without it fall back to their plain files. */
  variant?: ModelRepoVariant | null;
  /** Only files under these folders; a single subfolder becomes the model's root. */
  subfolders?: readonly string[];
  /** For a pipeline: the part folders its `model_index.json` lists as present; other folders are left out. */
  pipelineParts?: ReadonlySet<string>;
}

/** Picks the model's files from a repo listing (see the module comment). */
export function selectHfFiles(files: readonly HfRepoFile[], options: HfSelectionOptions = {}): SelectedHfFile[] {
  const subfolders = (options.subfolders ?? []).map((s) => s.replace(/^\/+|\/+$/g, "")).filter((s) => s !== "");
  let pool = files.filter((f) => !f.path.split("/").some((part) => part.startsWith(".")));
  if (subfolders.length > 0) pool = pool.filter((f) => subfolders.some((s) => f.path.startsWith(`${s}/`)));

  // A pipeline keeps only the parts its model_index.json lists (plus the index itself).
  const indexRoot = subfolders.length === 1 ? `${subfolders[0]}/` : "";
  const hasIndex = pool.some((f) => f.path === `${indexRoot}model_index.json`);

  const variant = options.variant ?? "";
  const onnx =
    isOnnxRepoVariant(variant) ||
    (!pool.some((f) => WEIGHT_SUFFIXES.includes(suffixOf(f.path))) && pool.some((f) => suffixOf(f.path) === ".onnx"));
  const chosen: HfRepoFile[] = [];
  // One weight file per (folder, base name): the wanted variant, else the plain file; safetensors beat pickles.
  const groups = new Map<string, HfRepoFile[]>();
  for (const file of pool) {
    const suffix = suffixOf(file.path);
    if (TEXT_SUFFIXES.includes(suffix)) chosen.push(file);
    else if (ONNX_SUFFIXES.includes(suffix)) {
      if (onnx) chosen.push(file);
    } else if (WEIGHT_SUFFIXES.includes(suffix) && !onnx) {
      const { base } = splitVariant(nameOf(file.path));
      const key = `${parentOf(file.path)}/${base}`;
      groups.set(key, [...(groups.get(key) ?? []), file]);
    }
  }
  const rank = (file: HfRepoFile) => {
    const { label } = splitVariant(nameOf(file.path));
    const variantRank = label === variant ? 0 : label === "" ? 1 : 2;
    return variantRank * 10 + (suffixOf(file.path) === ".safetensors" ? 0 : 1);
  };
  const weightsByFolder = new Map<string, HfRepoFile[]>();
  for (const group of groups.values()) {
    const best = [...group].sort((a, b) => rank(a) - rank(b))[0];
    const { label } = splitVariant(nameOf(best.path));
    if (label !== "" && label !== variant) continue;
    const folder = parentOf(best.path);
    weightsByFolder.set(folder, [...(weightsByFolder.get(folder) ?? []), best]);
  }
  // Within a folder, safetensors weights make pickle weights of other base names redundant too.
  for (const list of weightsByFolder.values()) {
    const safe = list.filter((f) => suffixOf(f.path) === ".safetensors");
    chosen.push(...(safe.length > 0 ? safe : list));
  }

  let selected = chosen;
  const parts = options.pipelineParts;
  if (hasIndex && parts !== undefined) {
    selected = selected.filter((f) => {
      const inner = f.path.startsWith(indexRoot) ? f.path.slice(indexRoot.length) : f.path;
      return !inner.includes("/") || parts.has(inner.split("/")[0]);
    });
  }
  // A folder left with only config.json (its weights were in another variant) is not a part.
  const perFolder = new Map<string, number>();
  for (const f of selected) perFolder.set(parentOf(f.path), (perFolder.get(parentOf(f.path)) ?? 0) + 1);
  selected = selected.filter(
    (f) =>
      parentOf(f.path) === parentOf(`${indexRoot}x`) ||
      perFolder.get(parentOf(f.path))! > 1 ||
      nameOf(f.path) !== "config.json",
  );

  const reroot = subfolders.length === 1 ? `${subfolders[0]}/` : "";
  return selected
    .map((f) => ({
      ...f,
      relativePath: reroot !== "" && f.path.startsWith(reroot) ? f.path.slice(reroot.length) : f.path,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
