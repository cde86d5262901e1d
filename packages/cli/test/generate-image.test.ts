// The user's main job, as the README shows it: install an ONNX pipeline with `atelier models install`, then run the
// shipped text-to-image workflow with `atelier run text_to_image_sd15 --set …`, naming the model by its name.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli-process.js";

const FIXTURES = join(import.meta.dirname, "../../../../shared/fixtures/diffusion");

let dir: string;
let root: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atelier-generate-"));
  root = join(dir, "root");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("generate an image from the command line", () => {
  it("installs the tiny SD1.5 ONNX export and runs the shipped text-to-image workflow on it", async () => {
    const source = join(dir, "tiny-sd15-onnx");
    await cp(join(FIXTURES, "tiny-sd15/onnx"), source, { recursive: true });
    const install = await runCli(["models", "install", source, "--root", root, "--json"], { timeoutMs: 120_000 });
    expect(install.stderr).not.toMatch(/error/i);
    expect(install.code).toBe(0);
    const job = JSON.parse(install.stdout) as { status: string; config_out: { name: string; format: string } };
    expect(job.status).toBe("completed");
    expect(job.config_out).toMatchObject({ format: "onnx", base: "sd-1", type: "main" });

    const set = (assignment: string) => ["--set", assignment];
    const run = await runCli(
      [
        "run",
        "text_to_image_sd15",
        "--root",
        root,
        "--json",
        ...set(`model.model=${job.config_out.name}`),
        ...set("positive.prompt=a lighthouse on a cliff"),
        ...set("negative.prompt=blurry"),
        ...set("noise.seed=42"),
        ...set("noise.width=64"),
        ...set("noise.height=64"),
        ...set("denoise.steps=4"),
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).not.toMatch(/failed/i);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { status: string; images: { image_name: string; path: string }[] };
    expect(result.status).toBe("completed");
    expect(result.images).toHaveLength(1);
    const meta = await sharp(result.images[0]!.path).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([64, 64, "png"]);

    // A name that matches no model is refused before anything runs, naming the input.
    const wrong = await runCli(
      ["run", "text_to_image_sd15", "--root", root, "--json", ...set("model.model=no-such-model")],
      { timeoutMs: 60_000 },
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Input "model.model": names no installed model');
  }, 240_000);
});
