import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { AtelierError } from "@atelier/core";
import { DownloadCancelledError, DownloadFailedError, DownloadHttpError } from "../model-errors.js";
import { httpGet, type RemoteApiToken } from "./http-get.js";

/** Statuses of a download (InvokeAI's DownloadJobStatus). */
export type DownloadJobStatus = "waiting" | "running" | "paused" | "completed" | "cancelled" | "error";

/** A download as the API shows it (InvokeAI's DownloadJob). */
export interface DownloadJobDTO {
  id: number;
  source: string;
  /** Where the file ends up once whole. */
  download_path: string;
  status: DownloadJobStatus;
  bytes: number;
  total_bytes: number;
  priority: number;
  content_type: string | null;
  etag: string | null;
  error_type: string | null;
  error: string | null;
  job_started: string | null;
  job_ended: string | null;
}

/** What a download reports while it runs. */
export interface DownloadListener {
  started?(job: DownloadJob): void;
  progress?(job: DownloadJob): void;
  completed?(job: DownloadJob): void;
  paused?(job: DownloadJob): void;
  cancelled?(job: DownloadJob): void;
  failed?(job: DownloadJob, error: AtelierError): void;
}

/** Options of a DownloadJob. */
export interface DownloadJobOptions {
  id: number;
  url: string;
  /** The final file path; bytes go to `<path>.part` until the file is whole. */
  downloadPath: string;
  priority?: number;
  accessToken?: string;
  tokens?: readonly RemoteApiToken[];
  allowPrivate: boolean;
  /** Retries after a cut connection or a 5xx answer (default 3). */
  maxRetries?: number;
  /** Wait before a retry, doubled each time (default 500 ms). */
  retryDelayMs?: number;
  /** Least time between two progress reports (default 250 ms). */
  progressIntervalMs?: number;
  listener?: DownloadListener;
}

type StopReason = "pause" | "cancel";

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The size of a file, or 0 when it does not exist. */
async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/**
 * One file download. Bytes are written to `<path>.part` and renamed when whole, so a cut or cancelled download
 * never leaves a file under the real name. A cut connection or a 5xx answer is retried, resuming with
 * `Range: bytes=N-` and `If-Range: <etag>` (a server that answers 200 instead of 206 restarts the file). Pause keeps
 * the partial file for `resume`; cancel deletes it.
 */
export class DownloadJob {
  readonly id: number;
  readonly url: string;
  readonly downloadPath: string;
  readonly priority: number;
  status: DownloadJobStatus = "waiting";
  bytes = 0;
  totalBytes = 0;
  contentType: string | null = null;
  etag: string | null = null;
  error: AtelierError | null = null;
  started: string | null = null;
  ended: string | null = null;
  readonly #options: DownloadJobOptions;
  #controller: AbortController | undefined;
  #stopReason: StopReason | undefined;
  #announced = false;
  #lastProgress = 0;

  constructor(options: DownloadJobOptions) {
    this.id = options.id;
    this.url = options.url;
    this.downloadPath = options.downloadPath;
    this.priority = options.priority ?? 10;
    this.#options = options;
  }

  /** The temp file the bytes go to. */
  get partPath(): string {
    return `${this.downloadPath}.part`;
  }

  /** Whether the job has finished for good. */
  get finished(): boolean {
    return this.status === "completed" || this.status === "cancelled" || this.status === "error";
  }

  /** The API view. */
  toDTO(): DownloadJobDTO {
    return {
      id: this.id,
      source: this.url,
      download_path: this.downloadPath,
      status: this.status,
      bytes: this.bytes,
      total_bytes: this.totalBytes,
      priority: this.priority,
      content_type: this.contentType,
      etag: this.etag,
      error_type: this.error?.name ?? null,
      error: this.error?.message ?? null,
      job_started: this.started,
      job_ended: this.ended,
    };
  }

  /** Downloads (or resumes) the file; resolves when it completed, paused or was cancelled. Never rejects. */
  async run(): Promise<void> {
    if (this.finished) return;
    this.status = "running";
    this.#stopReason = undefined;
    this.error = null;
    this.started ??= new Date().toISOString();
    this.#controller = new AbortController();
    const maxRetries = this.#options.maxRetries ?? 3;
    let delay = this.#options.retryDelayMs ?? 500;
    try {
      await mkdir(dirname(this.downloadPath), { recursive: true });
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#attempt();
          break;
        } catch (error) {
          if (this.#stopReason !== undefined) throw error;
          const retryable =
            (error instanceof DownloadHttpError && RETRYABLE_STATUS.has(error.httpStatus)) ||
            error instanceof DownloadFailedError;
          if (!retryable || attempt >= maxRetries) throw error;
          await sleep(delay);
          delay *= 2;
          if (this.#stopReason !== undefined) throw new DownloadCancelledError(this.url);
        }
      }
      await rename(this.partPath, this.downloadPath);
      this.status = "completed";
      this.ended = new Date().toISOString();
      this.#options.listener?.progress?.(this);
      this.#options.listener?.completed?.(this);
    } catch (error) {
      await this.#settleStop(error);
    } finally {
      this.#controller = undefined;
    }
  }

  /** Stops a running download, keeping the partial file; `run()` again resumes it. */
  pause(): void {
    if (this.finished || this.status === "paused") return;
    if (this.status === "waiting") {
      this.status = "paused";
      this.#options.listener?.paused?.(this);
      return;
    }
    this.#stopReason = "pause";
    this.#controller?.abort();
  }

  /** Stops the download for good and deletes the partial file. */
  async cancel(): Promise<void> {
    if (this.finished) return;
    if (this.status === "running") {
      this.#stopReason = "cancel";
      this.#controller?.abort();
      return;
    }
    await rm(this.partPath, { force: true });
    this.status = "cancelled";
    this.ended = new Date().toISOString();
    this.#options.listener?.cancelled?.(this);
  }

  /** Puts a paused or failed download back to waiting (the partial file stays, to be resumed). */
  reset(): void {
    if (this.status === "paused" || this.status === "error") {
      this.status = "waiting";
      this.error = null;
      this.ended = null;
    }
  }

  async #settleStop(error: unknown): Promise<void> {
    if (this.#stopReason === "pause") {
      this.status = "paused";
      this.#options.listener?.paused?.(this);
      return;
    }
    if (this.#stopReason === "cancel") {
      await rm(this.partPath, { force: true });
      this.status = "cancelled";
      this.ended = new Date().toISOString();
      this.#options.listener?.cancelled?.(this);
      return;
    }
    this.error =
      error instanceof AtelierError
        ? error
        : new DownloadFailedError(this.url, (error as Error)?.message ?? String(error), error);
    this.status = "error";
    this.ended = new Date().toISOString();
    this.#options.listener?.failed?.(this, this.error);
  }

  async #attempt(): Promise<void> {
    const offset = await sizeOf(this.partPath);
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      // Without an ETag we cannot tell a changed file from the same one: resume only what we know.
      if (this.etag !== null) headers["if-range"] = this.etag;
    }
    const response = await httpGet(this.url, {
      headers,
      signal: this.#controller!.signal,
      allowPrivate: this.#options.allowPrivate,
      accessToken: this.#options.accessToken,
      tokens: this.#options.tokens,
    });
    const { status, body } = response;
    if (status === 416 && offset > 0) {
      // The partial file is at least as long as the file: start over rather than trust it.
      body.resume();
      await rm(this.partPath, { force: true });
      throw new DownloadFailedError(this.url, "the server refused the resume range");
    }
    if (status >= 400) {
      body.resume();
      throw new DownloadHttpError(this.url, status, response.statusText);
    }
    const resumed = status === 206 && offset > 0;
    const length = Number(response.headers["content-length"] ?? Number.NaN);
    const rangeTotal = /\/(\d+)$/.exec(String(response.headers["content-range"] ?? ""));
    this.totalBytes =
      rangeTotal !== null ? Number(rangeTotal[1]) : Number.isFinite(length) ? (resumed ? offset : 0) + length : 0;
    this.contentType = response.headers["content-type"] ?? null;
    const etag = response.headers.etag ?? response.headers["x-linked-etag"];
    if (typeof etag === "string") this.etag = etag;
    this.bytes = resumed ? offset : 0;
    if (!this.#announced) {
      this.#announced = true;
      this.#options.listener?.started?.(this);
    }

    const handle = await open(this.partPath, resumed ? "a" : "w");
    try {
      for await (const chunk of body) {
        await handle.write(chunk as Buffer);
        this.bytes += (chunk as Buffer).length;
        const now = Date.now();
        if (now - this.#lastProgress >= (this.#options.progressIntervalMs ?? 250)) {
          this.#lastProgress = now;
          this.#options.listener?.progress?.(this);
        }
      }
    } catch (error) {
      if (this.#stopReason !== undefined) throw new DownloadCancelledError(this.url);
      throw new DownloadFailedError(
        this.url,
        `the connection was cut after ${this.bytes} bytes (${(error as Error).message})`,
        error,
      );
    } finally {
      await handle.close();
    }
    if (this.#stopReason !== undefined) throw new DownloadCancelledError(this.url);
    if (this.totalBytes > 0 && this.bytes !== this.totalBytes) {
      throw new DownloadFailedError(this.url, `the connection ended after ${this.bytes} of ${this.totalBytes} bytes`);
    }
    if (this.totalBytes === 0) this.totalBytes = this.bytes;
  }
}
