import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "./support/cli-process.js";

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "atelier-cli-serve-"));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function serveUntilUrl(): Promise<{ child: ReturnType<typeof spawnCli>; url: string; stderr: () => string }> {
  const child = spawnCli(["serve", "--root", root, "--host", "127.0.0.1", "--port", "0"]);
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
        resolve({ child, url, stderr: () => stderr });
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
}

function exitOf(child: ReturnType<typeof spawnCli>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
}

describe("atelier serve (child process)", { timeout: 120_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`prints its URL, answers, and stops cleanly on ${signal}`, async () => {
      const { child, url, stderr } = await serveUntilUrl();
      try {
        const version = await fetch(`${url}/api/v1/app/version`);
        expect(version.status).toBe(200);
        expect(((await version.json()) as { version: string }).version).toMatch(/\d+\.\d+\.\d+/);
        const exited = exitOf(child);
        child.kill(signal);
        expect(await exited).toEqual({ code: 0, signal: null });
        expect(stderr()).toContain(`Received ${signal}`);
        await expect(fetch(`${url}/api/v1/app/version`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  }
});
