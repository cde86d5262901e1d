import type { AtelierError } from "@atelier/core";
import type { EventBus } from "../../events/event-bus.js";
import { DownloadJob, type DownloadListener } from "./download-job.js";
import type { RemoteApiToken } from "./http-get.js";

/** Options of DownloadQueue. */
export interface DownloadQueueOptions {
  events?: EventBus;
  /** Config `allow_private_download_urls`. */
  allowPrivate: boolean;
  /** Config `remote_api_tokens`. */
  tokens?: readonly RemoteApiToken[];
  /** Downloads running at once (default 3). */
  concurrency?: number;
  maxRetries?: number;
  retryDelayMs?: number;
  progressIntervalMs?: number;
}

/** What to download. */
export interface DownloadRequest {
  url: string;
  downloadPath: string;
  accessToken?: string;
  priority?: number;
  /** Told about this job's changes, after the queue's own events. */
  listener?: DownloadListener;
}

/**
 * The download queue (InvokeAI's DownloadQueueService): jobs run a few at a time, highest priority (lowest
 * number) first, and each change is published as a `download_*` event.
 */
export class DownloadQueue {
  readonly #options: DownloadQueueOptions;
  readonly #jobs = new Map<number, DownloadJob>();
  readonly #waiting: DownloadJob[] = [];
  readonly #done = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  #running = 0;
  #nextId = 1;

  constructor(options: DownloadQueueOptions) {
    this.#options = options;
  }

  /** Adds a download; it starts when a slot is free. */
  submit(request: DownloadRequest): DownloadJob {
    const events = this.#options.events;
    const own = request.listener;
    const listener: DownloadListener = {
      started: (job) => {
        events?.emit("download_started", { source: job.url, download_path: job.downloadPath });
        own?.started?.(job);
      },
      progress: (job) => {
        events?.emit("download_progress", {
          source: job.url,
          download_path: job.downloadPath,
          current_bytes: job.bytes,
          total_bytes: job.totalBytes,
        });
        own?.progress?.(job);
      },
      completed: (job) => {
        events?.emit("download_complete", {
          source: job.url,
          download_path: job.downloadPath,
          total_bytes: job.totalBytes,
        });
        own?.completed?.(job);
      },
      paused: (job) => {
        events?.emit("download_paused", { source: job.url });
        own?.paused?.(job);
      },
      cancelled: (job) => {
        events?.emit("download_cancelled", { source: job.url });
        own?.cancelled?.(job);
      },
      failed: (job, error: AtelierError) => {
        events?.emit("download_error", { source: job.url, error_type: error.name, error: error.message });
        own?.failed?.(job, error);
      },
    };
    const job = new DownloadJob({
      id: this.#nextId++,
      url: request.url,
      downloadPath: request.downloadPath,
      priority: request.priority,
      accessToken: request.accessToken,
      tokens: this.#options.tokens,
      allowPrivate: this.#options.allowPrivate,
      maxRetries: this.#options.maxRetries,
      retryDelayMs: this.#options.retryDelayMs,
      progressIntervalMs: this.#options.progressIntervalMs,
      listener,
    });
    this.#jobs.set(job.id, job);
    this.#enqueue(job);
    return job;
  }

  /** Resolves when the job stops running (completed, paused, cancelled or failed). */
  whenSettled(job: DownloadJob): Promise<void> {
    if (job.status !== "waiting" && job.status !== "running") return Promise.resolve();
    return this.#settled(job).promise;
  }

  /** Every job, oldest first. */
  list(): DownloadJob[] {
    return [...this.#jobs.values()];
  }

  /** A job by id. */
  get(id: number): DownloadJob | undefined {
    return this.#jobs.get(id);
  }

  /** Pauses a job (a waiting one leaves the queue). */
  pause(job: DownloadJob): void {
    const index = this.#waiting.indexOf(job);
    if (index >= 0) this.#waiting.splice(index, 1);
    job.pause();
    if (index >= 0) this.#settle(job);
  }

  /** Puts a paused or failed job back in the queue; it resumes from its partial file. */
  resume(job: DownloadJob): void {
    if (job.status !== "paused" && job.status !== "error") return;
    job.reset();
    this.#enqueue(job);
  }

  /** Cancels a job and deletes its partial file. */
  async cancel(job: DownloadJob): Promise<void> {
    const index = this.#waiting.indexOf(job);
    if (index >= 0) this.#waiting.splice(index, 1);
    await job.cancel();
    if (index >= 0) this.#settle(job);
  }

  /** Drops finished jobs from the list. */
  prune(): void {
    for (const [id, job] of this.#jobs) if (job.finished) this.#jobs.delete(id);
  }

  #enqueue(job: DownloadJob): void {
    this.#waiting.push(job);
    this.#waiting.sort((a, b) => a.priority - b.priority || a.id - b.id);
    this.#pump();
  }

  #pump(): void {
    const limit = this.#options.concurrency ?? 3;
    while (this.#running < limit && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running++;
      void job.run().finally(() => {
        this.#running--;
        this.#settle(job);
        this.#pump();
      });
    }
  }

  #settled(job: DownloadJob): { promise: Promise<void>; resolve: () => void } {
    let entry = this.#done.get(job.id);
    if (entry === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      this.#done.set(job.id, entry);
    }
    return entry;
  }

  #settle(job: DownloadJob): void {
    const entry = this.#done.get(job.id);
    if (entry !== undefined) {
      this.#done.delete(job.id);
      entry.resolve();
    }
  }
}
