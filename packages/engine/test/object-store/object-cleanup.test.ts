// Tensors and conditioning outlive the process, so start-up collects the ones no queue item refers to any more,
// and the temp files of writes a crashed process never finished.
import { existsSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Tensor } from "@atelier/core";
import { createQueueRuntime, deleteUnreferencedObjects, SessionQueue, TEMP_FILE_PREFIX } from "@atelier/engine";
import { testServices, type TestServices } from "../services/service-fixture.js";

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

const tensor = (v: number): Tensor => ({ dtype: "float32", shape: [2], data: Float32Array.from([v, v]) });
const TWO_HOURS_AGO = new Date(Date.now() - 2 * 60 * 60 * 1000);

/** Backdates the file of a stored value, as if it had been written two hours ago. */
async function age(root: string, folder: string, name: string): Promise<void> {
  await utimes(path.join(root, "outputs", folder, `${name}.safetensors`), TWO_HOURS_AGO, TWO_HOURS_AGO);
}

/** A one-node graph whose input names a stored tensor, as a queue item would hold it. */
function graphUsing(latentsName: string): Record<string, unknown> {
  return {
    id: "g",
    nodes: { pick: { id: "pick", type: "if", condition: true, true_input: { latents_name: latentsName, seed: null } } },
    edges: [],
  };
}

describe("unreferenced stored objects", () => {
  it("deletes old tensors and conditioning no queue item mentions, and keeps the rest", async () => {
    fixture = await testServices({ overrides: { clean_objects_on_startup: false } });
    const { services, root } = fixture;
    const used = await services.tensors.save(tensor(1));
    const unused = await services.tensors.save(tensor(2));
    const fresh = await services.tensors.save(tensor(3));
    const cond = await services.conditioning.save({ conditionings: [{ kind: "basic", embeds: tensor(4) }] });
    await services.tensors.flush();
    await services.conditioning.flush();
    for (const name of [used, unused]) await age(root, "tensors", name);
    await age(root, "conditioning", cond);

    const queue = new SessionQueue({
      db: services.database.db,
      dialect: services.database.dialect,
      lookup: services.registry,
    });
    await queue.enqueueBatch("default", { graph: graphUsing(used), runs: 1 });
    expect(await queue.referencedObjectNames(["Tensor", "ConditioningFieldData"])).toEqual(new Set([used]));

    const dropped: string[] = [];
    services.tensors.onDeleted((name) => dropped.push(name));
    expect(await deleteUnreferencedObjects(services, queue)).toEqual({ tensors: 1, conditioning: 1 });
    expect(dropped).toEqual([unused]);
    expect(await services.tensors.exists(used)).toBe(true);
    expect(await services.tensors.exists(fresh)).toBe(true); // younger than the grace period
    expect(await services.tensors.exists(unused)).toBe(false);
    expect(await services.conditioning.exists(cond)).toBe(false);
    await expect(services.tensors.load(unused)).rejects.toMatchObject({ code: "object_not_found" });
  });

  it("runs at start-up of the queue runtime unless turned off", async () => {
    fixture = await testServices();
    const { root } = fixture;
    const unused = await fixture.services.tensors.save(tensor(5));
    await fixture.services.tensors.flush();
    await age(root, "tensors", unused);

    const off = await fixture.restart();
    const quiet = await createQueueRuntime(
      { ...off, config: { ...off.config, clean_objects_on_startup: false } },
      { startProcessor: false },
    );
    await quiet.close();
    expect(await off.tensors.exists(unused)).toBe(true);

    const services = await fixture.restart();
    const rt = await createQueueRuntime(services, { startProcessor: false });
    await rt.close(); // waits for the background clean-up
    expect(await services.tensors.exists(unused)).toBe(false);
    expect(fixture.logs.some((l) => String(l.msg).includes("Deleted 1 tensor(s)"))).toBe(true);
  });

  it("removes temp files an interrupted write left behind, once they are an hour old", async () => {
    fixture = await testServices();
    const dir = path.join(fixture.root, "outputs", "images");
    await mkdir(dir, { recursive: true });
    const stale = path.join(dir, `${TEMP_FILE_PREFIX}0123456789abcdef`);
    const recent = path.join(dir, `${TEMP_FILE_PREFIX}fedcba9876543210`);
    await writeFile(stale, "half a PNG");
    await writeFile(recent, "a write in flight");
    await utimes(stale, TWO_HOURS_AGO, TWO_HOURS_AGO);
    await fixture.restart();
    await fixture.services.close(); // waits for the sweep
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    await fixture.restart();
  });
});
