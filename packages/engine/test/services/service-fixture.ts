// A throwaway engine for tests: createServices on a temp root with a private registry, log lines captured as JSON.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { NodeRegistry, registerCoreNodes, type RawImage } from "@atelier/core";
import { createServices, type CreateServicesOptions, type Services } from "@atelier/engine";

/** A services container on a temp root, with captured log lines. */
export interface TestServices {
  root: string;
  services: Services;
  logs: Record<string, unknown>[];
  /** Closes the services and builds new ones on the same root (a process restart). */
  restart(): Promise<Services>;
  /** Closes the services and removes the root. */
  dispose(): Promise<void>;
}

/** Builds services on `root` (a new temp folder by default). */
export async function testServices(
  options: Partial<CreateServicesOptions> & { root?: string } = {},
): Promise<TestServices> {
  const root = options.root ?? (await mkdtemp(path.join(os.tmpdir(), "atelier-services-")));
  const logs: Record<string, unknown>[] = [];
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  const build = () =>
    createServices({
      env: {},
      loadNodePacks: false,
      registry,
      ...options,
      root,
      overrides: { log_format: "json", log_level: "debug", ...options.overrides },
      logDestination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    });
  const fixture: TestServices = {
    root,
    services: await build(),
    logs,
    async restart() {
      await fixture.services.close();
      fixture.services = await build();
      return fixture.services;
    },
    async dispose() {
      await fixture.services.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Every file below `dir`, as sorted relative paths (empty when the folder does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** A deterministic RGB gradient (no two neighbouring rows alike). */
export function gradient(width: number, height: number, mode: "RGB" | "RGBA" = "RGB"): RawImage {
  const channels = mode === "RGB" ? 3 : 4;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      data[i] = (x * 7) & 255;
      data[i + 1] = (y * 5) & 255;
      data[i + 2] = (x + y) & 255;
      if (channels === 4) data[i + 3] = 255;
    }
  }
  return { width, height, mode, data };
}

/** An independent reader of PNG text chunks (tEXt and uncompressed iTXt), written for the tests. */
export function pngTextChunks(png: Uint8Array): Record<string, string> {
  const bytes = Buffer.from(png);
  const out: Record<string, string> = {};
  let offset = 8;
  let seenIdat = false;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString("ascii", offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "IDAT") seenIdat = true;
    if ((type === "tEXt" || type === "iTXt") && seenIdat) throw new Error(`text chunk ${type} after IDAT`);
    if (type === "tEXt") {
      const nul = data.indexOf(0);
      out[data.toString("latin1", 0, nul)] = data.toString("latin1", nul + 1);
    } else if (type === "iTXt") {
      const nul = data.indexOf(0);
      if (data[nul + 1] !== 0) throw new Error("compressed iTXt");
      const lang = data.indexOf(0, nul + 3);
      const translated = data.indexOf(0, lang + 1);
      out[data.toString("latin1", 0, nul)] = data.toString("utf8", translated + 1);
    }
    if (type === "IEND") break;
    offset += 12 + length;
  }
  return out;
}
