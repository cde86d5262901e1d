import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cp, readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kohyaLoraKeys } from "../../engine/test/models/support/model-fixtures.js";
import { randomSafetensors } from "../../engine/test/models/support/model-manager-fixture.js";
import { runCli, spawnCli } from "./support/cli-process.js";

// What a user does: install the tiny SD 1.5 ONNX export with the CLI, serve the root, then list, get, patch,
// install from a URL and delete over HTTP; the CLI sees the server's changes in the same database.
const TINY_SD15 = fileURLToPath(new URL("../../../../shared/fixtures/diffusion/tiny-sd15/onnx", import.meta.url));

let root: string;
let scratch: string;
let files: Server;
let filesUrl: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "atelier-e2e-models-"));
  scratch = mkdtempSync(join(tmpdir(), "atelier-e2e-models-src-"));
  const lora = await randomSafetensors(join(scratch, "served-lora.safetensors"), kohyaLoraKeys(768));
  files = createServer((request, response) => {
    if (request.url !== "/served-lora.safetensors") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": lora.length });
    response.end(lora);
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => files.close(resolve));
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

function serve(): Promise<{ child: ReturnType<typeof spawnCli>; url: string }> {
  const child = spawnCli(["serve", "--root", root, "--host", "127.0.0.1", "--port", "0"], {
    ATELIER_ALLOW_PRIVATE_DOWNLOAD_URLS: "true",
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve printed no URL; stderr: ${stderr}`));
    }, 60_000);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const url = /running at (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

interface Job {
  id: number;
  status: string;
  config_out: { key: string; type: string; format: string; base: string; name: string } | null;
}

describe.skipIf(!existsSync(TINY_SD15))(
  "models end to end: CLI install, then the HTTP API",
  { timeout: 180_000 },
  () => {
    it("installs the tiny SD 1.5 ONNX folder, serves it, and manages models over HTTP", async () => {
      const source = join(scratch, "tiny-sd15");
      await cp(TINY_SD15, source, { recursive: true });
      const installed = await runCli(["models", "install", source, "--json", "--root", root]);
      expect(installed.code).toBe(0);
      const job = JSON.parse(installed.stdout) as Job;
      expect(job).toMatchObject({
        status: "completed",
        config_out: { type: "main", format: "onnx", base: "sd-1", name: "tiny-sd15" },
      });
      const key = job.config_out!.key;
      expect(JSON.parse(await readFile(join(root, "models", key, "model_index.json"), "utf8"))).toHaveProperty(
        "_class_name",
      );

      const { child, url } = await serve();
      try {
        const M = `${url}/api/v2/models`;
        const list = await json<{ models: { key: string }[] }>(`${M}/?model_type=main`);
        expect(list.body.models.map((m) => m.key)).toEqual([key]);
        expect((await json(`${M}/i/${key}`)).body).toMatchObject({ key, format: "onnx", repo_variant: "onnx" });
        const patch = (body: unknown) =>
          json<{ name: string; code?: string }>(`${M}/i/${key}`, {
            method: "PATCH",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        expect((await patch({ name: "tiny", default_settings: { steps: 4 } })).body).toMatchObject({ name: "tiny" });
        // A main ONNX pipeline cannot become a LoRA by a change of type alone.
        expect(await patch({ type: "lora" })).toMatchObject({ status: 422, body: { code: "invalid_model_config" } });

        const started = await json<Job>(
          `${M}/install?source=${encodeURIComponent(`${filesUrl}/served-lora.safetensors`)}`,
          { method: "POST" },
        );
        expect(started.status).toBe(201);
        let download = started.body;
        for (let i = 0; i < 400 && !["completed", "error", "cancelled"].includes(download.status); i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          download = (await json<Job>(`${M}/install/${started.body.id}`)).body;
        }
        expect(download).toMatchObject({ status: "completed", config_out: { type: "lora", base: "sd-1" } });
        const loraKey = download.config_out!.key;

        const cliList = await runCli(["models", "list", "--json", "--root", root]);
        expect((JSON.parse(cliList.stdout) as { key: string; name: string }[]).map((m) => m.name).sort()).toEqual([
          "served-lora",
          "tiny",
        ]);

        for (const k of [loraKey, key]) expect((await fetch(`${M}/i/${k}`, { method: "DELETE" })).status).toBe(204);
        expect((await json<{ models: unknown[] }>(`${M}/`)).body.models).toEqual([]);
        await expect(stat(join(root, "models", key))).rejects.toThrow();
      } finally {
        const exited = new Promise((resolve) => child.on("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    });
  },
);
