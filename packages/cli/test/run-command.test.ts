import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli-process.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "atelier-cli-run-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const GRAPH = {
  id: "g",
  nodes: {
    r: { id: "r", type: "range", start: 1, stop: 3, step: 1 },
    it: { id: "it", type: "iterate" },
    s: { id: "s", type: "add", b: 10 },
    img: { id: "img", type: "blank_image", width: 48, height: 16, color: { r: 10, g: 200, b: 30, a: 255 } },
  },
  edges: [
    { source: { node_id: "r", field: "collection" }, destination: { node_id: "it", field: "collection" } },
    { source: { node_id: "it", field: "item" }, destination: { node_id: "s", field: "a" } },
  ],
};

describe("atelier run (child process)", { timeout: 180_000 }, () => {
  it("runs a graph on the embedded engine and prints exactly one JSON object with --json", async () => {
    const root = join(dir, "root1");
    const result = await runCli([
      "run",
      writeJson("graph.json", GRAPH),
      "--root",
      root,
      "--json",
      "--set",
      "r.stop=4",
      "--set",
      "s.b=100",
    ]);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      status: string;
      session_id: string;
      outputs: Record<string, unknown>;
      images: { image_name: string; path: string }[];
      error: unknown;
    };
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(Object.keys(out).sort()).toEqual(["error", "images", "outputs", "session_id", "status"]);
    expect(out.status).toBe("completed");
    expect(out.error).toBeNull();
    expect(out.outputs.s).toEqual([101, 102, 103].map((value) => ({ type: "integer_output", value })));
    expect(out.outputs.r).toEqual({ type: "integer_collection_output", collection: [1, 2, 3] });
    expect(out.images).toHaveLength(1);
    expect(existsSync(out.images[0].path)).toBe(true);
    expect(readFileSync(out.images[0].path).subarray(1, 4).toString()).toBe("PNG");
    // Progress goes to stderr, one plain line per node event when stderr is not a terminal.
    expect(result.stderr).toContain("started   r (range)");
    expect(result.stderr).toContain("done      s#2 (add)");
  });

  it("runs a workflow file in InvokeAI's UI format and prints image paths", async () => {
    const workflow = {
      name: "Blank",
      meta: { version: "3.0.0", category: "user" },
      exposedFields: [{ nodeId: "img", fieldName: "width" }],
      nodes: [
        {
          id: "img",
          type: "invocation",
          position: { x: 0, y: 0 },
          data: {
            id: "img",
            type: "blank_image",
            isIntermediate: false,
            useCache: true,
            inputs: {
              width: { name: "width", label: "Width", value: 32 },
              height: { name: "height", label: "", value: 8 },
            },
          },
        },
      ],
      edges: [],
    };
    const result = await runCli([
      "run",
      writeJson("workflow.json", workflow),
      "--root",
      join(dir, "root2"),
      "--set",
      "img.width=20",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Completed session");
    const path = /image \S+: (\S+)/.exec(result.stdout)?.[1];
    expect(path).toBeDefined();
    expect(existsSync(path!)).toBe(true);
    expect(result.stdout).toContain('"width":20');
  });

  it("exits non-zero with the failing node's error", async () => {
    const failing = {
      id: "f",
      nodes: {
        resize: { id: "resize", type: "img_resize", image: { image_name: "missing.png" }, width: 8, height: 8 },
      },
      edges: [],
    };
    const json = await runCli(["run", writeJson("failing.json", failing), "--root", join(dir, "root3"), "--json"]);
    expect(json.code).not.toBe(0);
    const out = JSON.parse(json.stdout) as {
      status: string;
      error: { node_id: string; error_type: string; error_message: string };
    };
    expect(out.status).toBe("failed");
    expect(out.error.node_id).toBe("resize");
    expect(out.error.error_message).toContain("missing.png");
    const human = await runCli(["run", writeJson("failing.json", failing), "--root", join(dir, "root3")]);
    expect(human.code).not.toBe(0);
    expect(human.stderr).toContain("Node resize failed");
  });

  it("refuses unreadable files and bad assignments with a clear message", async () => {
    const missing = await runCli(["run", join(dir, "nope.json"), "--root", join(dir, "root4")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such file");
    writeFileSync(join(dir, "bad.json"), "{not json");
    const bad = await runCli(["run", join(dir, "bad.json"), "--root", join(dir, "root4")]);
    expect(bad.stderr).toContain("not valid JSON");
    const assignment = await runCli([
      "run",
      writeJson("graph2.json", GRAPH),
      "--root",
      join(dir, "root4"),
      "--set",
      "ghost.value=1",
    ]);
    expect(assignment.code).toBe(1);
    expect(assignment.stderr).toContain("ghost");
  });
});
