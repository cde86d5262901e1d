import { spawnSync } from "node:child_process";

/** Whether python3 with Pillow is installed here (the Pillow cross-checks are skipped when it is not). */
export const hasPillow: boolean = spawnSync("python3", ["-c", "import PIL.Image"], { stdio: "ignore" }).status === 0;

/** Runs a Python script with Pillow available; argv[1..] are `args`, stdout is parsed as JSON. */
export function runPython<T>(script: string, args: string[] = []): T {
  const result = spawnSync("python3", ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
