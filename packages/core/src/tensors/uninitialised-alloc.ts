// Node's uninitialised allocation skips zero-filling (and the page faults of fresh zeroed memory), which is most of
// the cost of a large encode or copy. Only used where every byte is written right after; plain arrays elsewhere.

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** A fresh, unshared byte array whose contents are unspecified: callers overwrite every byte. */
export function allocBytes(size: number): Uint8Array {
  if (nodeBuffer === undefined) return new Uint8Array(size);
  const b = nodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
