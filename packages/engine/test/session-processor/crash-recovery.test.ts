// Kills a real process in the middle of a queue item (SIGKILL: no cleanup runs), then starts the engine again on the
// same root and checks what became of the item and of the rest of the queue.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runtimeFixture, type RuntimeFixture } from "./runtime-fixture.js";
import { defineInvocation, InputField, IntegerOutput, z } from "@atelier/core";
import { testRegistry } from "../session-queue/queue-test-nodes.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const childScript = fileURLToPath(new URL("./crash-child.ts", import.meta.url));

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Runs crash-child.ts on `root` until its sleeping node started; returns that item id and the killed process. */
async function crashMidItem(root: string, marker: string): Promise<{ itemId: number; child: ChildProcess }> {
  const tsconfig = path.join(root, "tsx-paths.json");
  const src = (pkg: string) => path.join(repoRoot, "packages", pkg, "src", "index.ts");
  await writeFile(
    tsconfig,
    JSON.stringify({
      compilerOptions: { paths: { "@atelier/core": [src("core")], "@atelier/engine": [src("engine")] } },
    }),
  );
  const child = spawn(process.execPath, ["--import", "tsx", childScript, root, marker], {
    cwd: repoRoot,
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, ATELIER_ROOT: root },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const itemId = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child never started its item:\n${stderr}`)), 50_000);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /STARTED (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`the child exited early (${code}):\n${stderr}`)));
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  return { itemId, child };
}

describe("crash recovery", () => {
  it("fails the item a killed process was running, with a reason, and loses nothing else", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "atelier-crash-"));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const marker = path.join(root, "marker.txt");
    const { itemId } = await crashMidItem(root, marker);

    const f: RuntimeFixture = await runtimeFixture({ root, runtime: { startProcessor: false } });
    cleanup.push(() => f.dispose());
    expect(f.rt.recovery).toEqual({ failed: [itemId], requeued: [], deleted: 0 });
    const item = await f.rt.queue.getItem("default", itemId);
    expect(item.status).toBe("failed");
    expect(item.error_type).toBe("SessionInterruptedError");
    expect(item.error_message).toContain(`Queue item ${itemId} was interrupted`);
    // The checkpoint written before the kill is kept with the failed item.
    expect(item.session.results).toHaveProperty("mark");
    const others = (await f.rt.queue.listAll("default")).filter((i) => i.item_id !== itemId);
    expect(others.map((i) => i.status)).toEqual(["pending"]);
    f.rt.processor.start();
    expect((await f.waitFor(others[0].item_id)).status).toBe("completed");
    expect(await readFile(marker, "utf8")).toBe("1\n");
  }, 90_000);

  it("with resume_interrupted, resumes the item from its last checkpoint without re-running finished nodes", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "atelier-crash-"));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const marker = path.join(root, "marker.txt");
    const { itemId } = await crashMidItem(root, marker);
    expect(await readFile(marker, "utf8")).toBe("1\n");

    // This process's test_sleep returns at once, so that the resumed item finishes quickly.
    const registry = testRegistry();
    registry.register(
      defineInvocation({
        type: "test_sleep",
        version: "1.0.0",
        useCache: false,
        inputs: {
          ms: InputField(z.number().int(), { default: 10 }),
          value: InputField(z.number().int(), { default: 0 }),
        },
        output: IntegerOutput,
        invoke() {
          return { value: this.value };
        },
      }),
    );
    const f: RuntimeFixture = await runtimeFixture({ root, registry, overrides: { resume_interrupted: true } });
    cleanup.push(() => f.dispose());
    expect(f.rt.recovery.requeued).toEqual([itemId]);
    const item = await f.waitFor(itemId, ["completed", "failed", "canceled"], 80_000);
    expect(item.status).toBe("completed");
    expect(item.session.executed_history).toEqual(["mark", "sleep"]);
    // The marker node finished before the crash and was checkpointed: it did not run a second time.
    expect(await readFile(marker, "utf8")).toBe("1\n");
  }, 120_000);
});
