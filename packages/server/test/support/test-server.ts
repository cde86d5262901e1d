import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeRegistry, registerCoreNodes } from "@atelier/core";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/start-server.js";
import { TEST_NODE_MODULE } from "./test-nodes.js";

/** A real server on loopback over a fresh root folder (SQLite file, image files), with built-in and test nodes. */
export interface TestServer extends RunningServer {
  /** Removes the root folder after closing. */
  dispose(): Promise<void>;
}

/** Starts `startServer` on 127.0.0.1 with a free port and a temporary root; logs are dropped. */
export async function startTestServer(
  overrides: NonNullable<StartServerOptions["overrides"]> = {},
): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), "atelier-server-test-"));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  const running = await startServer({
    root,
    host: "127.0.0.1",
    port: 0,
    env: {},
    overrides,
    registry,
    nodeModules: [TEST_NODE_MODULE],
    loadNodePacks: false,
    logDestination: { write: () => true },
  });
  return {
    ...running,
    async dispose() {
      await running.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** JSON fetch against the test server. */
export async function api<T = unknown>(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

/** A graph in InvokeAI's JSON form from nodes and `"a.value -> b.a"` edges. */
export function graph(nodes: Record<string, Record<string, unknown>>, edges: string[] = []): Record<string, unknown> {
  return {
    id: `g-${Math.random().toString(36).slice(2)}`,
    nodes: Object.fromEntries(Object.entries(nodes).map(([id, node]) => [id, { id, ...node }])),
    edges: edges.map((text) => {
      const [from, to] = text.split("->").map((s) => s.trim());
      const [sourceNode, sourceField] = from.split(".");
      const [destNode, destField] = to.split(".");
      return {
        source: { node_id: sourceNode, field: sourceField },
        destination: { node_id: destNode, field: destField },
      };
    }),
  };
}
