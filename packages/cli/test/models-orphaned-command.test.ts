import { mkdtempSync, rmSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kohyaLoraKeys, vaeKeys, writeZeroSafetensors } from "../../engine/test/models/support/model-fixtures.js";
import { randomSafetensors } from "../../engine/test/models/support/model-manager-fixture.js";
import { buildProgram } from "../src/program.js";
import type { CliIo } from "../src/cli-io.js";

let root: string;
let scratch: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "atelier-cli-orphans-"));
  scratch = mkdtempSync(join(tmpdir(), "atelier-cli-orphans-src-"));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function atelier(...args: string[]): Promise<{ out: string[]; err: string[]; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, stderr: new PassThrough() };
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await buildProgram(io).parseAsync(["node", "atelier", ...args, "--root", root]);
    return { out, err, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
  }
}

describe("atelier models orphaned", () => {
  it("lists folders of unregistered model files, then deletes them and only them", async () => {
    await randomSafetensors(join(scratch, "kept.safetensors"), kohyaLoraKeys(768));
    const installed = JSON.parse(
      (await atelier("models", "install", join(scratch, "kept.safetensors"), "--json")).out[0],
    );
    const keptDir = join(root, "models", installed.config_out.key as string);
    expect((await atelier("models", "orphaned")).out).toEqual(["No orphaned model folders."]);

    await writeZeroSafetensors(join(root, "models", "leftover", "w.safetensors"), vaeKeys(4));
    await writeFile(join(root, "models", "leftover", "README.md"), "x");
    const listed = await atelier("models", "orphaned", "--json");
    expect(JSON.parse(listed.out[0])).toEqual([
      expect.objectContaining({
        path: "leftover",
        files: ["w.safetensors"],
        absolute_path: join(root, "models", "leftover"),
      }),
    ]);
    expect((await atelier("models", "orphaned")).out).toEqual([
      expect.stringMatching(/^orphaned {2}leftover {2}.* MB {2}\(w\.safetensors\)$/),
    ]);

    const deleted = await atelier("models", "orphaned", "--delete");
    expect(deleted.exitCode).toBe(0);
    expect(deleted.out).toEqual([expect.stringMatching(/^deleted {3}leftover /)]);
    await expect(stat(join(root, "models", "leftover"))).rejects.toThrow();
    expect((await stat(keptDir)).isDirectory()).toBe(true);
    expect(JSON.parse((await atelier("models", "list", "--json")).out[0])).toHaveLength(1);
  });
});
