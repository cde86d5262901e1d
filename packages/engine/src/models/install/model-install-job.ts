import type { AtelierError } from "@atelier/core";
import type { ModelConfig, ModelRecordChanges } from "../configs/model-config.js";
import type { DownloadJob, DownloadJobDTO } from "../download/download-job.js";
import { modelSourceJson, type ModelSource } from "./model-source.js";

/** Statuses of an install job (InvokeAI's InstallStatus). */
export const INSTALL_STATUSES = [
  "waiting",
  "downloading",
  "downloads_done",
  "running",
  "paused",
  "completed",
  "error",
  "cancelled",
] as const;
/** An install job status. */
export type InstallStatus = (typeof INSTALL_STATUSES)[number];

/** An install job as the API and CLI show it (InvokeAI's ModelInstallJob). */
export interface ModelInstallJobDTO {
  id: number;
  status: InstallStatus;
  error_reason: string | null;
  config_in: ModelRecordChanges;
  config_out: ModelConfig | null;
  inplace: boolean;
  source: { type: string; [key: string]: unknown };
  /** Where the model is (or is being downloaded to) on this machine. */
  local_path: string;
  bytes: number;
  total_bytes: number;
  /** For Hugging Face installs: the repo id and the commit the files came from. */
  source_metadata: { type: string; [key: string]: unknown } | null;
  download_parts: DownloadJobDTO[];
  error_type: string | null;
  error: string | null;
  error_traceback: string | null;
}

const TERMINAL: ReadonlySet<InstallStatus> = new Set(["completed", "error", "cancelled"]);

/** One install, from waiting to completed / error / cancelled. Mutated only by the install service. */
export class ModelInstallJob {
  readonly id: number;
  readonly source: ModelSource;
  readonly sourceText: string;
  readonly configIn: ModelRecordChanges;
  readonly inplace: boolean;
  status: InstallStatus = "waiting";
  localPath: string;
  configOut: ModelConfig | null = null;
  error: AtelierError | Error | null = null;
  sourceMetadata: { type: string; [key: string]: unknown } | null = null;
  /** The hub's answer about the repo, kept on the record. */
  sourceApiResponse: string | null = null;
  parts: DownloadJob[] = [];
  /** Bytes hashed so far while the job identifies the model (for progress bars), of `hashTotalBytes`. */
  hashedBytes = 0;
  hashTotalBytes = 0;
  /** The temp folder of a remote install (removed when it ends). */
  tempDir: string | null = null;
  /** Aborts hashing when the job is cancelled while it installs. */
  readonly abort = new AbortController();
  readonly #waiters: (() => void)[] = [];

  constructor(id: number, source: ModelSource, sourceText: string, configIn: ModelRecordChanges, inplace: boolean) {
    this.id = id;
    this.source = source;
    this.sourceText = sourceText;
    this.configIn = configIn;
    this.inplace = inplace;
    this.localPath = source.type === "local" ? source.path : "";
  }

  /** Whether the job ended (completed, error or cancelled). */
  get finished(): boolean {
    return TERMINAL.has(this.status);
  }

  /** Bytes downloaded so far (remote) or the model's size (local, once known). */
  get bytes(): number {
    return this.parts.length > 0 ? this.parts.reduce((sum, p) => sum + p.bytes, 0) : (this.configOut?.file_size ?? 0);
  }

  /** Bytes to download in all (remote), or the model's size. */
  get totalBytes(): number {
    return this.parts.length > 0
      ? this.parts.reduce((sum, p) => sum + p.totalBytes, 0)
      : (this.configOut?.file_size ?? 0);
  }

  /** Resolves once the job has ended. */
  wait(): Promise<this> {
    if (this.finished) return Promise.resolve(this);
    return new Promise((resolve) => this.#waiters.push(() => resolve(this)));
  }

  /** Wakes `wait()`ers; the service calls it after every final status change. */
  notifyFinished(): void {
    if (!this.finished) return;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The API view (tokens left out). */
  toDTO(): ModelInstallJobDTO {
    const error = this.error;
    return {
      id: this.id,
      status: this.status,
      error_reason: error?.message ?? null,
      config_in: this.configIn,
      config_out: this.configOut,
      inplace: this.inplace,
      source: modelSourceJson(this.source),
      local_path: this.localPath,
      bytes: this.bytes,
      total_bytes: this.totalBytes,
      source_metadata: this.sourceMetadata,
      download_parts: this.parts.map((p) => p.toDTO()),
      error_type: error?.name ?? null,
      error: error?.message ?? null,
      error_traceback: error?.stack ?? null,
    };
  }
}
