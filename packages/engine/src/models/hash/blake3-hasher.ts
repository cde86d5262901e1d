// BLAKE3 from npm: the native @napi-rs/blake-hash (about 2× faster here) with the WASM hash-wasm as the fallback
// for platforms that have no prebuilt binding. Both give the reference BLAKE3 digest.

/** An incremental hasher. `update` copies what it needs, so callers may reuse their buffers. */
export interface StreamingHasher {
  update(bytes: Uint8Array): void;
  /** The digest as lower-case hex; the hasher must not be used afterwards. */
  digestHex(): string;
}

/** Which implementation `createBlake3` uses. */
export type Blake3Implementation = "native" | "wasm";

type HasherFactory = () => Promise<StreamingHasher>;

let factory: Promise<{ create: HasherFactory; implementation: Blake3Implementation }> | undefined;

async function loadNative(): Promise<HasherFactory> {
  const { Blake3Hasher } = await import("@napi-rs/blake-hash");
  // Fail here, not at the first model, if the binding loads but cannot run.
  new Blake3Hasher().update(new Uint8Array(1));
  return async () => {
    const hasher = new Blake3Hasher();
    return { update: (bytes) => void hasher.update(bytes), digestHex: () => hasher.digest("hex") };
  };
}

async function loadWasm(): Promise<HasherFactory> {
  const { createBLAKE3 } = await import("hash-wasm");
  await createBLAKE3(); // compiles the module once
  return async () => {
    const hasher = (await createBLAKE3()).init();
    return { update: (bytes) => void hasher.update(bytes), digestHex: () => hasher.digest("hex") };
  };
}

async function resolveFactory(): Promise<{ create: HasherFactory; implementation: Blake3Implementation }> {
  try {
    return { create: await loadNative(), implementation: "native" };
  } catch {
    return { create: await loadWasm(), implementation: "wasm" };
  }
}

/** A new BLAKE3 hasher (the implementation is chosen once per process). */
export async function createBlake3(): Promise<StreamingHasher> {
  factory ??= resolveFactory();
  return (await factory).create();
}

/** The BLAKE3 implementation in use ("native" or "wasm"). */
export async function blake3Implementation(): Promise<Blake3Implementation> {
  factory ??= resolveFactory();
  return (await factory).implementation;
}
