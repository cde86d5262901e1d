import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EVENT_NAMES, EventBus, type EventInput, type EventName } from "@atelier/engine";

// One full payload per event, typed by the bus's input type: the compiler holds them to Atelier's payload types,
// and the test below holds their fields to InvokeAI's API schema, so the two cannot drift apart.
const item = { queue_id: "default", item_id: 1, batch_id: "b", origin: null, destination: null, user_id: "system" };
const invocation = { ...item, session_id: "s", invocation: { id: "n", type: "add" }, invocation_source_id: "n" };
const counts = { pending: 0, in_progress: 1, waiting: 0, completed: 0, failed: 0, canceled: 0, total: 1 };
const install = { id: 3, source: { type: "url", url: "https://example.com/m.safetensors" } };
const part = { url: "https://example.com/m.safetensors", local_path: "/m", bytes: 1, total_bytes: 2 };
const download = { source: "https://example.com/m.safetensors" };
const bulk = { bulk_download_id: "d", bulk_download_item_id: "i", bulk_download_item_name: "i.zip", user_id: "system" };

const SAMPLES: { [K in EventName]: EventInput<K> } = {
  invocation_started: invocation,
  invocation_progress: { ...invocation, message: "step 1", percentage: 0.5, image: null, device: null },
  invocation_complete: { ...invocation, result: { type: "integer_output", value: 3 } },
  invocation_error: { ...invocation, error_type: "ValueError", error_message: "bad", error_traceback: "tb" },
  queue_item_status_changed: {
    ...item,
    status: "in_progress",
    status_sequence: 1,
    error_type: null,
    error_message: null,
    error_traceback: null,
    created_at: "2025-01-01T00:00:00.000Z",
    updated_at: "2025-01-01T00:00:00.000Z",
    started_at: "2025-01-01T00:00:00.000Z",
    completed_at: null,
    session_id: "s",
    batch_status: { queue_id: "default", batch_id: "b", origin: null, destination: null, ...counts },
    queue_status: {
      queue_id: "default",
      item_id: 1,
      batch_id: "b",
      session_id: "s",
      ...counts,
      user_pending: null,
      user_in_progress: null,
    },
  },
  batch_enqueued: {
    queue_id: "default",
    batch_id: "b",
    enqueued: 2,
    requested: 2,
    priority: 0,
    origin: null,
    user_id: "system",
  },
  queue_items_retried: {
    queue_id: "default",
    retried_item_ids: [1],
    user_ids: ["system"],
    retried_item_ids_by_user: { system: [1] },
  },
  queue_items_canceled: {
    queue_id: "default",
    canceled_item_ids: [1],
    user_ids: ["system"],
    canceled_item_ids_by_user: { system: [1] },
  },
  queue_cleared: { queue_id: "default", user_id: null },
  recall_parameters_updated: { queue_id: "default", user_id: "system", parameters: { seed: 1 } },
  model_load_started: { config: { key: "k" }, submodel_type: "vae", user_id: "system" },
  model_load_complete: { config: { key: "k" }, submodel_type: null, user_id: "system" },
  model_install_download_started: { ...install, local_path: "/m", bytes: 0, total_bytes: 2, parts: [part] },
  model_install_download_progress: { ...install, local_path: "/m", bytes: 1, total_bytes: 2, parts: [part] },
  model_install_downloads_complete: install,
  model_install_started: install,
  model_install_complete: { ...install, key: "k", total_bytes: 2, config: { key: "k" } },
  model_install_cancelled: install,
  model_install_error: { ...install, error_type: "OSError", error: "disk full" },
  download_started: { ...download, download_path: "/m" },
  download_progress: { ...download, download_path: "/m", current_bytes: 1, total_bytes: 2 },
  download_complete: { ...download, download_path: "/m", total_bytes: 2 },
  download_cancelled: download,
  download_paused: download,
  download_error: { ...download, error_type: "HTTPError", error: "404" },
  bulk_download_started: bulk,
  bulk_download_complete: bulk,
  bulk_download_error: { ...bulk, error: "zip failed" },
};

const openapi = fileURLToPath(new URL("../../../../../shared/invokeai/openapi.json", import.meta.url));

function schemaName(event: EventName): string {
  return `${event.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Event`;
}

describe("event payloads", () => {
  it("emits every sample through the bus unchanged apart from the timestamp", () => {
    const bus = new EventBus();
    for (const name of EVENT_NAMES) {
      const { timestamp, ...rest } = bus.emit(name, SAMPLES[name] as never) as { timestamp: number };
      expect(rest).toEqual(SAMPLES[name]);
      expect(Number.isInteger(timestamp)).toBe(true);
    }
  });

  it.skipIf(!existsSync(openapi))("have exactly InvokeAI's fields for every event", () => {
    const schemas = (
      JSON.parse(readFileSync(openapi, "utf8")) as {
        components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
      }
    ).components.schemas;
    for (const name of EVENT_NAMES) {
      const schema = schemas[schemaName(name)];
      expect(schema, `schema ${schemaName(name)}`).toBeDefined();
      const ours = ["timestamp", ...Object.keys(SAMPLES[name])].sort();
      expect(ours, name).toEqual(Object.keys(schema.properties).sort());
    }
  });
});
