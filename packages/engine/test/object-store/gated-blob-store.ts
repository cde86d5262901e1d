import type { BlobData, BlobStore } from "../../src/blobs/index.js";

/** A BlobStore whose writes wait until `open()` is called: makes "a write is still in flight" deterministic. */
export class GatedBlobStore implements BlobStore {
  readonly description: string;
  waiting = 0;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly inner: BlobStore) {
    this.description = inner.description;
  }

  open(): void {
    this.release();
  }

  async put(key: string, data: BlobData): Promise<void> {
    this.waiting++;
    await this.gate;
    this.waiting--;
    return this.inner.put(key, data);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getStream(key: string) {
    return this.inner.getStream(key);
  }
  exists(key: string) {
    return this.inner.exists(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
}
