/** Limits of a BufferPool. */
export interface BufferPoolOptions {
  /** Most bytes of free buffers kept for reuse (default 64 MiB); buffers beyond it are left to the collector. */
  readonly maxFreeBytes?: number;
  /** Requests smaller than this are plain allocations (default 64 KiB): malloc serves those from hot memory. */
  readonly minBytes?: number;
}

// Capacities are rounded up to whole pages so that requests of nearly the same size share buffers.
const PAGE = 4096;
const DEFAULT_MAX_FREE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MIN_BYTES = 64 * 1024;

/**
 * Recycles large buffers that an owner knows nothing else can reach any more. A fresh large allocation is fresh
 * memory from the kernel, and writing into it page-faults on every page (about as costly as the copy itself, far
 * more on a virtual machine), then costs the collector work to free; a recycled buffer is already mapped.
 * Only the owner of every view into a buffer may give it back.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly maxFreeBytes: number;
  private readonly minBytes: number;
  private freeBytes = 0;

  constructor(options: BufferPoolOptions = {}) {
    this.maxFreeBytes = options.maxFreeBytes ?? DEFAULT_MAX_FREE_BYTES;
    this.minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
  }

  /** `byteLength` bytes of memory (contents undefined): a recycled buffer when one of that capacity is free. */
  take(byteLength: number): Uint8Array {
    if (byteLength < this.minBytes) return new Uint8Array(byteLength);
    const capacity = Math.ceil(byteLength / PAGE) * PAGE;
    const buffer = this.free.get(capacity)?.pop();
    if (buffer === undefined) return new Uint8Array(new ArrayBuffer(capacity), 0, byteLength);
    this.freeBytes -= capacity;
    return new Uint8Array(buffer, 0, byteLength);
  }

  /** Hands back memory from `take` that nothing references any more; other buffers are ignored. */
  give(bytes: Uint8Array): void {
    const buffer = bytes.buffer;
    const capacity = buffer.byteLength;
    if (
      !(buffer instanceof ArrayBuffer) ||
      bytes.byteOffset !== 0 ||
      capacity < this.minBytes ||
      capacity % PAGE !== 0 ||
      this.freeBytes + capacity > this.maxFreeBytes
    )
      return;
    const list = this.free.get(capacity);
    if (list === undefined) this.free.set(capacity, [buffer]);
    else list.push(buffer);
    this.freeBytes += capacity;
  }

  /** Bytes of free buffers held. */
  get bytes(): number {
    return this.freeBytes;
  }

  /** Drops every free buffer. */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}
