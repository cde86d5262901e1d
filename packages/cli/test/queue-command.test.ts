import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtelierError, NodeRegistry, registerCoreNodes } from "@atelier/core";
import { startServer, type RunningServer } from "@atelier/server";
import { buildProgram } from "../src/program.js";
import type { CliIo } from "../src/cli-io.js";

let root: string;
let server: RunningServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "atelier-cli-queue-"));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  server = await startServer({
    root,
    host: "127.0.0.1",
    port: 0,
    env: {},
    registry,
    loadNodePacks: false,
    logDestination: { write: () => true },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function atelier(...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, stderr: new PassThrough() };
  await buildProgram(io).parseAsync(["node", "atelier", ...args, "--url", server.url]);
  return { out, err };
}

async function enqueue(value: number): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/queue/default/enqueue_batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      batch: { graph: { id: "g", nodes: { a: { id: "a", type: "add", a: value, b: 1 } }, edges: [] } },
    }),
  });
  return ((await response.json()) as { item_ids: number[] }).item_ids[0];
}

describe("atelier queue … against a running server", () => {
  it("shows status, lists, cancels, retries and clears", async () => {
    await fetch(`${server.url}/api/v1/queue/default/processor/pause`, { method: "PUT" });
    const first = await enqueue(1);
    const second = await enqueue(2);

    const status = await atelier("queue", "status");
    expect(status.out[0]).toContain("pending 2");
    expect(status.out[1]).toBe("processor: paused");
    const statusJson = JSON.parse((await atelier("queue", "status", "--json")).out.join("\n"));
    expect(statusJson.queue.pending).toBe(2);

    const list = await atelier("queue", "list");
    expect(list.out).toHaveLength(2);
    expect(list.out[0]).toContain(String(first));
    expect(list.out[0]).toContain("pending");

    expect((await atelier("queue", "cancel", String(first))).out).toEqual([`item ${first}: canceled`]);
    expect((await atelier("queue", "retry", String(first))).out).toEqual([`retried: ${first}`]);
    const listed = JSON.parse((await atelier("queue", "list", "--json")).out.join("\n")) as {
      item_id: number;
      status: string;
    }[];
    expect(listed.map((i) => i.status).sort()).toEqual(["canceled", "pending", "pending"]);

    expect((await atelier("queue", "clear")).out).toEqual(["deleted 3 items"]);
    expect((await atelier("queue", "list")).out).toEqual(["The queue is empty."]);
    await fetch(`${server.url}/api/v1/queue/default/processor/resume`, { method: "PUT" });
    expect(second).toBeGreaterThan(first);
  });

  it("reports server errors and an unreachable server as typed errors", async () => {
    await expect(atelier("queue", "cancel", "99999")).rejects.toThrow(/404.*99999/);
    const io: CliIo = { out: () => undefined, err: () => undefined, isTTY: false, stderr: new PassThrough() };
    const unreachable = buildProgram(io).parseAsync([
      "node",
      "atelier",
      "queue",
      "status",
      "--url",
      "http://127.0.0.1:9",
    ]);
    await expect(unreachable).rejects.toBeInstanceOf(AtelierError);
    await expect(atelier("queue", "cancel", "not-a-number")).rejects.toThrow(/not a queue item id/);
  });
});
