import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.dispose();
});

function node(
  id: string,
  type: string,
  inputs: Record<string, { value?: unknown; label?: string }>,
): Record<string, unknown> {
  return {
    id,
    type: "invocation",
    position: { x: 0, y: 0 },
    data: {
      id,
      type,
      version: "1.0.0",
      nodePack: "invokeai",
      label: "",
      notes: "",
      isOpen: true,
      isIntermediate: true,
      useCache: true,
      inputs: Object.fromEntries(
        Object.entries(inputs).map(([name, input]) => [name, { name, label: input.label ?? "", value: input.value }]),
      ),
    },
  };
}

function edge(source: string, sourceHandle: string, target: string, targetHandle: string): Record<string, unknown> {
  return { id: `${source}-${target}`, type: "default", source, target, sourceHandle, targetHandle };
}

/** A workflow in InvokeAI's UI format: first + second → add → multiply by factor, with exposed fields and a note. */
function arithmeticWorkflow(): Record<string, unknown> {
  return {
    name: "Arithmetic",
    author: "tests",
    description: "(first + second) * factor",
    version: "1.0.0",
    contact: "",
    tags: "math",
    notes: "",
    meta: { version: "3.0.0", category: "user" },
    exposedFields: [
      { nodeId: "first", fieldName: "value" },
      { nodeId: "mul", fieldName: "b" },
    ],
    nodes: [
      node("first", "integer", { value: { value: 1, label: "First" } }),
      node("second", "integer", { value: { value: 2 } }),
      node("sum", "add", { a: { value: 0 }, b: { value: 0 } }),
      node("mul", "mul", { a: { value: 0 }, b: { value: 3, label: "Factor" } }),
      {
        id: "n1",
        type: "notes",
        position: { x: 0, y: 0 },
        data: { id: "n1", type: "notes", label: "Note", notes: "ignored", isOpen: true },
      },
    ],
    edges: [edge("first", "value", "sum", "a"), edge("second", "value", "sum", "b"), edge("sum", "value", "mul", "a")],
  };
}

async function waitOutputs(itemId: number): Promise<{ status: string; outputs: Record<string, { value?: number }> }> {
  return (
    await api<{ status: string; outputs: Record<string, { value?: number }> }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${itemId}/wait?timeout=20`,
    )
  ).body;
}

describe("headless runs of saved workflows", () => {
  it("runs a saved UI workflow with named inputs on its exposed fields", async () => {
    const saved = await api<{ workflow_id: string }>(server, "POST", "/api/v1/workflows/", {
      workflow: arithmeticWorkflow(),
    });
    expect(saved.status).toBe(200);
    const id = saved.body.workflow_id;

    const run = await api<{
      item_ids: number[];
      exposed_fields: { nodeId: string; fieldName: string; label: string }[];
      item: { status: string; workflow: { name: string } };
    }>(server, "POST", `/api/v1/workflows/i/${id}/run`, { inputs: { "first.value": 5, "mul.b": 10 } });
    expect(run.status).toBe(201);
    expect(run.body.exposed_fields.map((f) => [f.nodeId, f.fieldName, f.label])).toEqual([
      ["first", "value", "First"],
      ["mul", "b", "Factor"],
    ]);
    expect(run.body.item.workflow.name).toBe("Arithmetic");
    const result = await waitOutputs(run.body.item_ids[0]);
    expect(result.status).toBe("completed");
    expect(result.outputs.mul.value).toBe(70);
    expect(result.outputs.n1).toBeUndefined();

    const defaults = await api<{ item_ids: number[] }>(server, "POST", `/api/v1/workflows/i/${id}/run`);
    expect((await waitOutputs(defaults.body.item_ids[0])).outputs.mul.value).toBe(9);
  });

  it("expands batch nodes into several queue items, as the UI does", async () => {
    const workflow = arithmeticWorkflow();
    (workflow.nodes as Record<string, unknown>[]).push(
      node("batch", "integer_batch", { integers: { value: [10, 20, 30] }, batch_group_id: { value: "None" } }),
    );
    (workflow.edges as Record<string, unknown>[])[0] = edge("batch", "value", "sum", "a");
    const saved = await api<{ workflow_id: string }>(server, "POST", "/api/v1/workflows/", { workflow });
    const run = await api<{ item_ids: number[]; enqueued: number }>(
      server,
      "POST",
      `/api/v1/workflows/i/${saved.body.workflow_id}/run`,
      {
        inputs: { "mul.b": 1 },
      },
    );
    expect(run.body.enqueued).toBe(3);
    const values = [];
    for (const itemId of run.body.item_ids) values.push((await waitOutputs(itemId)).outputs.mul.value);
    expect(values.sort()).toEqual([12, 22, 32]);
  });

  it("refuses inputs that name no node, a node attribute, a field fed by an edge, or an unknown field", async () => {
    const id = (
      await api<{ workflow_id: string }>(server, "POST", "/api/v1/workflows/", { workflow: arithmeticWorkflow() })
    ).body.workflow_id;
    const cases: [Record<string, unknown>, string][] = [
      [{ "ghost.value": 1 }, "ghost"],
      [{ "first.id": "x" }, "node attribute"],
      [{ "sum.a": 1 }, "first.value -> sum.a"],
      [{ "first.valeu": 1 }, 'has no input "valeu"'],
      [{ nodot: 1 }, "<node_id>.<field>"],
    ];
    for (const [inputs, text] of cases) {
      const response = await api<{ code: string; message: string }>(server, "POST", `/api/v1/workflows/i/${id}/run`, {
        inputs,
      });
      expect(response.status).toBe(422);
      expect(response.body.message).toContain(text);
    }
    const badValue = await api<{ message: string }>(server, "POST", `/api/v1/workflows/i/${id}/run`, {
      inputs: { "first.value": "many" },
    });
    expect(badValue.status).toBe(422);
    expect(badValue.body.message).toContain("first");
    expect((await api(server, "POST", "/api/v1/workflows/i/nope/run", {})).status).toBe(404);
  });

  it("runs a posted graph with a workflow to embed", async () => {
    const run = await api<{ item_ids: number[]; item: { workflow: { name: string } | null } }>(
      server,
      "POST",
      "/api/v1/graphs/run",
      {
        graph: {
          id: "g",
          nodes: { i: { id: "i", type: "blank_image", width: 16, height: 16 } },
          edges: [],
        },
        workflow: arithmeticWorkflow(),
      },
    );
    expect(run.status).toBe(201);
    const result = await api<{ images: { image_name: string }[] }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${run.body.item_ids[0]}/wait?timeout=20`,
    );
    const name = result.body.images[0].image_name;
    const embedded = await api<{ workflow: string | null; graph: string | null }>(
      server,
      "GET",
      `/api/v1/images/i/${name}/workflow`,
    );
    expect(JSON.parse(embedded.body.workflow!).name).toBe("Arithmetic");
    expect(JSON.parse(embedded.body.graph!).nodes.i.type).toBe("blank_image");
  });
});
