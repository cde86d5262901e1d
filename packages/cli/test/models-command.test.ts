import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHub, type FakeHub } from "../../engine/test/support/fake-hub.js";
import { kohyaLoraKeys, vaeKeys } from "../../engine/test/models/support/model-fixtures.js";
import { randomSafetensors } from "../../engine/test/models/support/model-manager-fixture.js";
import { buildProgram } from "../src/program.js";
import type { CliIo } from "../src/cli-io.js";

let root: string;
let scratch: string;
let hub: FakeHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "atelier-cli-models-"));
  scratch = mkdtempSync(join(tmpdir(), "atelier-cli-models-src-"));
  // The fake hub listens on loopback, which downloads refuse unless the root's config allows it.
  writeFileSync(join(root, "atelier.yaml"), "allow_private_download_urls: true\n");
  hub = await startFakeHub();
});
afterAll(async () => {
  await hub.close();
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

describe("atelier models …", () => {
  it("installs (printing the finished job as one JSON object), lists, scans and deletes", async () => {
    const lora = join(scratch, "cli-lora.safetensors");
    await randomSafetensors(lora, kohyaLoraKeys(1024));
    const installed = await atelier("models", "install", lora, "--json", "--description", "from the CLI");
    expect(installed.exitCode).toBe(0);
    expect(installed.out).toHaveLength(1);
    const job = JSON.parse(installed.out[0]);
    expect(job).toMatchObject({
      status: "completed",
      config_out: {
        name: "cli-lora",
        type: "lora",
        base: "sd-2",
        description: "from the CLI",
        hash: expect.stringMatching(/^blake3:/),
      },
    });
    const key = job.config_out.key as string;
    expect((await stat(join(root, "models", key, "cli-lora.safetensors"))).isFile()).toBe(true);

    const plain = await atelier("models", "list");
    expect(plain.out).toEqual([expect.stringMatching(new RegExp(`^${key}  lora +sd-2 +lycoris +cli-lora$`))]);
    expect(JSON.parse((await atelier("models", "list", "--json", "--type", "main")).out[0])).toEqual([]);

    // A model dropped into models/ by hand is found by `scan`.
    await mkdir(join(root, "models", "manual"), { recursive: true });
    await randomSafetensors(join(root, "models", "manual", "hand.safetensors"), vaeKeys(16));
    const listed = await atelier("models", "scan", join(root, "models", "manual"));
    expect(listed.out).toEqual([`new        ${join(root, "models", "manual", "hand.safetensors")}`]);
    const scanned = await atelier("models", "scan");
    expect(scanned.out).toEqual([expect.stringMatching(/^registered .* vae +flux +checkpoint +hand$/)]);
    expect((await atelier("models", "scan")).out).toEqual(["No new models."]);

    const deleted = await atelier("models", "delete", key, "--json");
    expect(JSON.parse(deleted.out[0])).toEqual([{ key, files_deleted: true }]);
    await expect(stat(join(root, "models", key))).rejects.toThrow();
    await expect(atelier("models", "delete", key)).rejects.toThrow(/Unknown model: no model has key/);
  });

  it("downloads from a hub with progress lines, and reports a failed install with a non-zero exit", async () => {
    process.env.HF_ENDPOINT = hub.url;
    try {
      const bytes = await randomSafetensors(join(scratch, "hub-lora.safetensors"), kohyaLoraKeys(768));
      await hub.addRepo("people/cli", { "hub-lora.safetensors": bytes });
      const ok = await atelier("models", "install", "people/cli");
      expect(ok.exitCode).toBe(0);
      expect(ok.err[0]).toBe("installing people/cli…");
      expect(ok.out).toEqual([expect.stringMatching(/^installed .* lora +sd-1 +lycoris +hub-lora$/)]);

      const failed = await atelier("models", "install", "people/missing", "--json");
      expect(failed.exitCode).toBe(1);
      expect(JSON.parse(failed.out[0])).toMatchObject({ status: "error", error_type: "DownloadHttpError" });
    } finally {
      delete process.env.HF_ENDPOINT;
    }
  });
});
