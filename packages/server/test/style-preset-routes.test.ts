// /api/v1/style_presets over real HTTP on loopback: multipart create/update with real PNG uploads, CSV export and
// import, bad input, and a graph through the queue whose prompt_template node reads a preset made over HTTP.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, graph, startTestServer, type TestServer } from "./support/test-server.js";

interface Preset {
  id: string;
  name: string;
  preset_data: { positive_prompt: string; negative_prompt: string };
  type: string;
  user_id: string;
  is_public: boolean;
  image: string | null;
}

interface ErrorBody {
  detail: unknown;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const BASE = "/api/v1/style_presets";
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.dispose();
});

async function png(width: number, height: number): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .png()
    .toBuffer();
}

/** Sends a multipart form the way a browser does; `files` are [field, bytes, type, name]. */
async function send<T>(
  method: string,
  path: string,
  fields: Record<string, string>,
  files: [string, Uint8Array, string, string][] = [],
): Promise<{ status: number; body: T }> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  for (const [field, bytes, type, name] of files) form.append(field, new Blob([bytes], { type }), name);
  const response = await fetch(`${server.url}${path}`, { method, body: form });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

function data(name: string, positive: string, negative: string, type?: string): string {
  return JSON.stringify({ name, positive_prompt: positive, negative_prompt: negative, ...(type ? { type } : {}) });
}

describe("style preset routes", () => {
  it("creates a preset with an image, lists, gets, updates and deletes it with InvokeAI's shapes", async () => {
    const created = await send<Preset>(
      "POST",
      `${BASE}/`,
      { data: data("Watercolor", "{prompt}, watercolor", "ugly") },
      [["image", await png(300, 600), "image/png", "preview.png"]],
    );
    expect(created.status).toBe(200);
    const { id } = created.body;
    expect(created.body).toEqual({
      id,
      name: "Watercolor",
      preset_data: { positive_prompt: "{prompt}, watercolor", negative_prompt: "ugly" },
      type: "user",
      user_id: "system",
      is_public: false,
      image: `api/v1/style_presets/i/${id}/image`,
    });

    const image = await fetch(`${server.url}/${created.body.image!}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 128, height: 256 });

    await send("POST", `${BASE}/`, { data: data("aquarelle", "{prompt}", "") });
    const listed = await api<Preset[]>(server, "GET", `${BASE}/`);
    expect(listed.status).toBe(200);
    const names = listed.body.map((p) => p.name);
    expect(names.indexOf("aquarelle")).toBeLessThan(names.indexOf("Watercolor"));
    expect((await api<Preset>(server, "GET", `${BASE}/i/${id}`)).body).toEqual(created.body);

    const updated = await send<Preset>("PATCH", `${BASE}/i/${id}`, { data: data("Ink", "{prompt}, ink", "") }, [
      ["image", await png(64, 64), "image/png", "p.png"],
    ]);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, name: "Ink", preset_data: { positive_prompt: "{prompt}, ink" } });
    expect(updated.body.image).not.toBeNull();
    // As InvokeAI: an update without an image removes the preview.
    const noImage = await send<Preset>("PATCH", `${BASE}/i/${id}`, { data: data("Ink", "{prompt}, ink", "") });
    expect(noImage.body.image).toBeNull();
    expect((await fetch(`${server.url}${BASE}/i/${id}/image`)).status).toBe(404);

    const deleted = await api(server, "DELETE", `${BASE}/i/${id}`);
    expect(deleted.status).toBe(200);
    const gone = await api<ErrorBody>(server, "GET", `${BASE}/i/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toContain(id);
  });

  it("answers 404 for unknown ids on every per-preset route", async () => {
    for (const [method, path] of [
      ["GET", `${BASE}/i/nope`],
      ["DELETE", `${BASE}/i/nope`],
      ["GET", `${BASE}/i/nope/image`],
    ]) {
      const response = await api<ErrorBody>(server, method, path);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.code).toBe("style_preset_not_found");
    }
    const patch = await send<ErrorBody>("PATCH", `${BASE}/i/nope`, { data: data("x", "", "") });
    expect(patch.status).toBe(404);
    expect(patch.body.message).toContain('"nope"');
  });

  it("refuses malformed data with 422 naming the field, and creates nothing", async () => {
    const before = (await api<Preset[]>(server, "GET", `${BASE}/`)).body.length;
    const notJson = await send<ErrorBody>("POST", `${BASE}/`, { data: "{name: oops" });
    expect(notJson.status).toBe(422);
    expect(notJson.body.details?.field).toBe("data");
    const noPrompt = await send<ErrorBody>("POST", `${BASE}/`, {
      data: JSON.stringify({ name: "x", negative_prompt: "" }),
    });
    expect(noPrompt.status).toBe(422);
    expect(noPrompt.body.details?.field).toBe("data.positive_prompt");
    expect(noPrompt.body.message).toContain("data.positive_prompt");
    const emptyName = await send<ErrorBody>("POST", `${BASE}/`, { data: data("", "a", "b") });
    expect(emptyName.body.details?.field).toBe("data.name");
    const noData = await send<ErrorBody>("POST", `${BASE}/`, { other: "x" });
    expect(noData.status).toBe(422);
    expect(noData.body.details?.field).toBe("body.data");
    expect((await api<Preset[]>(server, "GET", `${BASE}/`)).body).toHaveLength(before);
  });

  it("refuses an upload that is not an image with 415 and keeps no preset", async () => {
    const before = (await api<Preset[]>(server, "GET", `${BASE}/`)).body.length;
    const response = await send<ErrorBody>("POST", `${BASE}/`, { data: data("Bad", "{prompt}", "") }, [
      ["image", new TextEncoder().encode("definitely not a picture"), "image/png", "fake.png"],
    ]);
    expect(response.status).toBe(415);
    expect(response.body.code).toBe("invalid_style_preset_image");
    expect((await api<Preset[]>(server, "GET", `${BASE}/`)).body).toHaveLength(before);
  });

  it("does not delete or change a default preset (403)", async () => {
    const shipped = await send<Preset>("POST", `${BASE}/`, { data: data("Shipped", "{prompt}", "", "default") });
    expect(shipped.body.type).toBe("default");
    const deleted = await api<ErrorBody>(server, "DELETE", `${BASE}/i/${shipped.body.id}`);
    expect(deleted.status).toBe(403);
    expect(deleted.body.code).toBe("default_style_preset_read_only");
    const patched = await send<ErrorBody>("PATCH", `${BASE}/i/${shipped.body.id}`, { data: data("Mine", "", "") });
    expect(patched.status).toBe(403);
    expect((await api<Preset>(server, "GET", `${BASE}/i/${shipped.body.id}`)).body.name).toBe("Shipped");
  });

  it("exports user presets as CSV and imports a CSV upload", async () => {
    await send("POST", `${BASE}/`, { data: data("Export me, please", 'a "{prompt}"', "n") });
    const exported = await fetch(`${server.url}${BASE}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toContain("text/csv");
    expect(exported.headers.get("content-disposition")).toBe("attachment; filename=prompt_templates.csv");
    const csv = await exported.text();
    expect(csv.startsWith("name,prompt,negative_prompt\r\n")).toBe(true);
    expect(csv).toContain('"Export me, please","a ""{prompt}""",n\r\n');
    expect(csv).not.toContain("Shipped");

    const upload = "name,prompt,negative_prompt\r\nImported one,{prompt} one,bad\r\nImported two,{prompt} two,\r\n";
    const imported = await send("POST", `${BASE}/import`, {}, [
      ["file", new TextEncoder().encode(upload), "text/csv", "presets.csv"],
    ]);
    expect(imported.status).toBe(200);
    const listed = (await api<Preset[]>(server, "GET", `${BASE}/`)).body;
    expect(listed.find((p) => p.name === "Imported one")?.preset_data).toEqual({
      positive_prompt: "{prompt} one",
      negative_prompt: "bad",
    });
    expect(listed.some((p) => p.name === "Imported two")).toBe(true);

    const badCsv = await send<ErrorBody>("POST", `${BASE}/import`, {}, [
      ["file", new TextEncoder().encode("title\r\nx\r\n"), "text/csv", "bad.csv"],
    ]);
    expect(badCsv.status).toBe(400);
    const wrongType = await send<ErrorBody>("POST", `${BASE}/import`, {}, [
      ["file", await png(8, 8), "image/png", "x.png"],
    ]);
    expect(wrongType.status).toBe(415);
    const noFile = await send<ErrorBody>("POST", `${BASE}/import`, { file: "text, not a file" });
    expect(noFile.status).toBe(422);
  });

  it("runs prompt_template through the queue with a preset created over HTTP", async () => {
    const created = await send<Preset>("POST", `${BASE}/`, {
      data: data("Cinematic", "cinematic still of {prompt}, {prompt} in focus", "cartoon, {prompt}"),
    });
    const g = graph(
      {
        template: {
          type: "prompt_template",
          style_preset: { style_preset_id: created.body.id },
          positive_prompt: "a red fox",
          negative_prompt: "blurry",
        },
        join: { type: "string_join", string_right: " | 35mm" },
        join_negative: { type: "string_join", string_left: "negative: " },
      },
      ["template.positive_prompt -> join.string_left", "template.negative_prompt -> join_negative.string_right"],
    );
    const enqueued = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/queue/default/enqueue_batch", {
      batch: { graph: g, runs: 1 },
      prepend: false,
    });
    expect(enqueued.status).toBe(201);
    const waited = await api<{ status: string; outputs: Record<string, { value: string }> }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${enqueued.body.item_ids[0]}/wait?timeout=20`,
    );
    expect(waited.body.status).toBe("completed");
    expect(waited.body.outputs.join.value).toBe("cinematic still of a red fox, a red fox in focus | 35mm");
    expect(waited.body.outputs.join_negative.value).toBe("negative: cartoon, blurry");

    const missing = graph({
      template: { type: "prompt_template", style_preset: { style_preset_id: "deleted-preset" } },
    });
    const bad = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/queue/default/enqueue_batch", {
      batch: { graph: missing, runs: 1 },
      prepend: false,
    });
    const failed = await api<{ status: string; error: { node_id: string; error_message: string } | null }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${bad.body.item_ids[0]}/wait?timeout=20`,
    );
    expect(failed.body.status).toBe("failed");
    expect(failed.body.error?.node_id).toBe("template");
    expect(failed.body.error?.error_message).toContain('"deleted-preset"');
  });
});
