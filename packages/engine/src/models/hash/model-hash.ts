import { createHash, randomBytes } from "node:crypto";
import { open, readdir, stat } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { CanceledError } from "@atelier/core";
import type { HASHING_ALGORITHMS } from "../../config/config-schema.js";
import { createBlake3, type StreamingHasher } from "./blake3-hasher.js";

/** A config `hashing_algorithm` value. */
export type HashingAlgorithm = (typeof HASHING_ALGORITHMS)[number];

/**
 * Files that make up a folder model's hash: InvokeAI's list (so diffusers folders hash the same in both systems) plus
 * the ONNX and GGUF weights, without which every ONNX folder would hash to the hash of nothing.
 */
export const MODEL_HASH_EXTENSIONS: ReadonlySet<string> = new Set([
  ".ckpt",
  ".safetensors",
  ".bin",
  ".pt",
  ".pth",
  ".onnx",
  ".onnx_data",
  ".gguf",
]);

/** Options of `hashModel` / `hashFile`. */
export interface ModelHashOptions {
  /** Default `blake3_single`. */
  algorithm?: HashingAlgorithm;
  /** Stops hashing with CanceledError. */
  signal?: AbortSignal;
  /** Called with the bytes hashed so far (of the whole model). */
  onProgress?: (bytesHashed: number) => void;
}

const CHUNK_BYTES = 8 * 1024 * 1024;

const NODE_ALGORITHMS: Partial<Record<HashingAlgorithm, string>> = {
  md5: "md5",
  sha1: "sha1",
  sha224: "sha224",
  sha256: "sha256",
  sha384: "sha384",
  sha512: "sha512",
  sha3_224: "sha3-224",
  sha3_256: "sha3-256",
  sha3_384: "sha3-384",
  sha3_512: "sha3-512",
  shake_128: "shake128",
  shake_256: "shake256",
};

/** The prefix of hashes made with `algorithm`: `blake3` for both BLAKE3 modes, else the algorithm's name. */
export function hashPrefix(algorithm: HashingAlgorithm): string {
  return algorithm === "blake3_single" || algorithm === "blake3_multi" ? "blake3" : algorithm;
}

async function createHasher(algorithm: HashingAlgorithm): Promise<StreamingHasher> {
  if (algorithm === "blake3_single" || algorithm === "blake3_multi") return createBlake3();
  const nodeName = NODE_ALGORITHMS[algorithm];
  if (nodeName === undefined) throw new Error(`Unsupported hashing algorithm ${algorithm}`);
  const hash = createHash(nodeName);
  return { update: (bytes) => void hash.update(bytes), digestHex: () => hash.digest("hex") };
}

/**
 * The hex digest of a file's bytes, streamed: two buffers alternate so that the next read runs on the thread pool
 * while the current chunk is hashed on this thread.
 */
export async function hashFile(path: string, options: ModelHashOptions = {}, offset = 0): Promise<string> {
  const hasher = await createHasher(options.algorithm ?? "blake3_single");
  const handle = await open(path, "r");
  try {
    const buffers = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
    let position = 0;
    let which = 0;
    let pending = handle.read(buffers[which], 0, CHUNK_BYTES, position);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      if (options.signal?.aborted) throw new CanceledError(`Hashing ${path} was canceled`);
      const current = buffers[which];
      position += bytesRead;
      which ^= 1;
      pending = handle.read(buffers[which], 0, CHUNK_BYTES, position);
      hasher.update(current.subarray(0, bytesRead));
      options.onProgress?.(offset + position);
    }
    return hasher.digestHex();
  } finally {
    await handle.close();
  }
}

/** The model files of a folder that take part in its hash, sorted by relative path (with `/`). */
export async function modelHashFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && MODEL_HASH_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => relative(folder, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort(comparePathComponents);
}

/** Orders paths component by component, as Python sorts Path objects (`a/x` before `a-b/x`). */
function comparePathComponents(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** How many bytes `hashModel` reads for this path (a file's size, or its weight files' sizes). */
export async function hashableBytes(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const file of await modelHashFiles(path)) total += (await stat(join(path, file))).size;
  return total;
}

/**
 * A model's hash, prefixed (`blake3:<hex>`): a file's is the hash of its bytes; a folder's is the BLAKE3 of the
 * concatenated hex digests of its weight files sorted by path (InvokeAI's ModelHash). `random`
 * gives a fresh random value without reading anything, for tests.
 */
export async function hashModel(path: string, options: ModelHashOptions = {}): Promise<string> {
  const algorithm = options.algorithm ?? "blake3_single";
  if (algorithm === "random") return `random:${randomBytes(32).toString("hex")}`;
  const info = await stat(path);
  if (!info.isDirectory()) return `${hashPrefix(algorithm)}:${await hashFile(path, options)}`;

  const files = await modelHashFiles(path);
  const sizes = await Promise.all(files.map(async (f) => (await stat(join(path, f))).size));
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const digests = new Array<string>(files.length);
  // blake3_multi hashes several files at once (InvokeAI's parallel mode); blake3_single one after another.
  const parallel = algorithm === "blake3_multi" ? 4 : 1;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const fileOptions = parallel === 1 ? options : { ...options, onProgress: undefined };
      digests[i] = await hashFile(join(path, files[i]), fileOptions, starts[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, Math.max(files.length, 1)) }, worker));
  const composite = await createBlake3();
  composite.update(Buffer.from(digests.join(""), "utf8"));
  return `${hashPrefix(algorithm)}:${composite.digestHex()}`;
}
