import type { ImageSize, RawImage } from "@atelier/core";
import type { EventBus, InvocationProgressPayload } from "../events/index.js";
import type { Logger } from "../logging/index.js";
import { buildProgressImage } from "./progress-image.js";

/** Emits one node's `invocation_progress` events. */
export interface ProgressReporterOptions {
  readonly events: EventBus;
  readonly logger: Logger;
  /** The shared payload fields, built on first use (most nodes never report progress). */
  readonly base: () => Omit<InvocationProgressPayload, "timestamp" | "message" | "percentage" | "image" | "device">;
}

/**
 * Emits progress events in the order they were signalled. A preview must be JPEG-encoded first (asynchronously),
 * so later events queue behind it; `settle()` waits for the queue. Nothing is encoded when no one listens.
 */
export class ProgressReporter {
  readonly #options: ProgressReporterOptions;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #base: ReturnType<ProgressReporterOptions["base"]> | undefined;

  constructor(options: ProgressReporterOptions) {
    this.#options = options;
  }

  /** Queues (or sends at once, when nothing is queued and there is no preview) one progress event. */
  signal(message: string, percentage: number | null, image: RawImage | null, size: ImageSize | null): void {
    const { events } = this.#options;
    if (events.listenerCount("invocation_progress") === 0) return;
    if (image === null && this.#pending === 0) {
      this.#emit(message, percentage, null);
      return;
    }
    // The caller may reuse its buffer once we return; previews are small, so keep a copy.
    const preview =
      image === null ? null : { width: image.width, height: image.height, mode: image.mode, data: image.data.slice() };
    this.#pending += 1;
    this.#tail = this.#tail
      .then(async () => {
        this.#emit(message, percentage, preview === null ? null : await buildProgressImage(preview, size));
      })
      .catch((error: unknown) => this.#options.logger.warning("Could not send a progress event", { err: error }))
      .finally(() => {
        this.#pending -= 1;
      });
  }

  /** Whether progress events are still queued (settle() has something to wait for). */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Resolves once every queued progress event has been sent. */
  async settle(): Promise<void> {
    while (this.#pending > 0) await this.#tail;
  }

  #emit(message: string, percentage: number | null, image: InvocationProgressPayload["image"]): void {
    this.#base ??= this.#options.base();
    this.#options.events.emit("invocation_progress", { ...this.#base, message, percentage, image, device: null });
  }
}
