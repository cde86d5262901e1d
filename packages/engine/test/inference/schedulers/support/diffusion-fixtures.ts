import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeSafetensors, type Tensor } from "@atelier/core";

/** Root of the shared tiny-diffusion fixtures (shared/ beside the checkout). */
export const DIFFUSION_FIXTURES = resolve(
  fileURLToPath(new URL(".", import.meta.url)),
  "../../../../../../../shared/fixtures/diffusion",
);

/** Whether the fixtures are present on this machine. */
export const haveDiffusionFixtures = existsSync(join(DIFFUSION_FIXTURES, "cases", "index.json"));

/** One reference case: its case.json and its tensors. */
export interface DiffusionCase {
  readonly json: Record<string, unknown>;
  readonly tensors: Record<string, Tensor>;
}

/** Loads cases/<name>/case.json and tensors.safetensors. */
export function loadCase(name: string): DiffusionCase {
  const dir = join(DIFFUSION_FIXTURES, "cases", name);
  const json = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as Record<string, unknown>;
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, "tensors.safetensors"))));
  return { json, tensors };
}

/** Row `index` of the first axis of a tensor, as plain numbers (int64 → number). */
export function row(t: Tensor, index: number): number[] {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = index * size; i < (index + 1) * size; i++) out.push(Number(t.data[i]));
  return out;
}

/** Float32 slice of row `index` of the first axis. */
export function rowF32(t: Tensor, index: number): Float32Array {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return (t.data as Float32Array).slice(index * size, (index + 1) * size);
}
