import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join, posix, resolve } from "node:path";
import { AtelierError, CanceledError } from "@atelier/core";
import type { EventBus } from "../../events/event-bus.js";
import type { EventJsonObject } from "../../events/event-payloads.js";
import type { Logger } from "../../logging/logger.js";
import {
  parseModelConfig,
  parseModelRecordChanges,
  type ModelConfig,
  type ModelRecordChanges,
} from "../configs/model-config.js";
import type { DownloadQueue } from "../download/download-queue.js";
import { hashableBytes, type HashingAlgorithm } from "../hash/model-hash.js";
import { selectHfFiles, type SelectedHfFile } from "../hugging-face/hf-file-selection.js";
import type { HuggingFaceClient } from "../hugging-face/hf-client.js";
import {
  DownloadCancelledError,
  DownloadFailedError,
  DuplicateModelError,
  InstallJobNotFoundError,
  InstallJobStateError,
  InvalidModelSourceError,
} from "../model-errors.js";
import { MODEL_FILE_EXTENSIONS } from "../probe/model-on-disk.js";
import { identifyModel } from "../probe/identify-model.js";
import { probeModel } from "../probe/probe-model.js";
import type { ModelImages } from "../records/model-images.js";
import type { ModelRecords } from "../records/model-records.js";
import { deleteModelFiles, isInside, moveModelIntoPlace, movePath } from "./model-files.js";
import { ModelInstallJob } from "./model-install-job.js";
import {
  hfSubfolders,
  modelSourceJson,
  modelSourceString,
  modelSourceType,
  parseModelSource,
  type HFModelSource,
  type ModelSource,
  type URLModelSource,
} from "./model-source.js";

/** Prefix of the temp folders remote installs download into (inside models_dir, so the final move is a rename). */
export const INSTALL_TEMP_PREFIX = "tmpinstall_";

/** Options of ModelInstallService. */
export interface ModelInstallServiceOptions {
  records: ModelRecords;
  downloads: DownloadQueue;
  hf: HuggingFaceClient;
  /** Absolute models folder. */
  modelsDir: string;
  /** Absolute download cache folder (`download_and_cache_model`). */
  downloadCacheDir: string;
  hashingAlgorithm?: HashingAlgorithm;
  /** Config `allow_unknown_models` (default true). */
  allowUnknown?: boolean;
  events?: EventBus;
  logger?: Logger;
  /** Least time between two `model_install_download_progress` events of a job (default 250 ms). */
  progressIntervalMs?: number;
  /** Called after a model's record is deleted (to drop it from the cache). */
  onModelDeleted?: (key: string) => void;
  /** Cover images, removed with their model. */
  images?: ModelImages;
}

/** A model found by `scanFolder`. */
export interface ScannedModel {
  path: string;
  is_installed: boolean;
}

/** What `listHuggingFace` finds in a repo (InvokeAI's HuggingFaceModels). */
export interface HuggingFaceModels {
  urls: string[];
  is_diffusers: boolean;
}

interface PlannedFile {
  url: string;
  relativePath: string;
  size?: number;
}

function errorOf(error: unknown): AtelierError | Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A folder name for a source in the download cache (InvokeAI's slugify): safe characters only, bounded length. */
export function downloadCacheSlug(source: string): string {
  const slug = source
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+|_+$/g, "");
  if (slug.length <= 120) return slug || "source";
  return `${slug.slice(0, 100)}_${createHash("sha256").update(source).digest("hex").slice(0, 16)}`;
}

/** The file name a URL download gets: the Content-Disposition name is not known before, so the URL's last segment. */
function urlFileName(url: string): string {
  const segment =
    new URL(url).pathname
      .split("/")
      .filter((s) => s !== "")
      .pop() ?? "";
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  const safe = name.replace(/[/\\]/g, "_");
  return safe === "" || safe === "." || safe === ".." ? "model.safetensors" : safe;
}

/**
 * Installs models (InvokeAI's ModelInstallService): from a local path (registered in place or moved into
 * `models/<key>/`), an http(s) URL or a Hugging Face repo. Remote files are downloaded into a temp folder under
 * models_dir (each file under a `.part` name until whole), then installed like a local path; a cut or cancelled
 * download never registers anything. Installs (identify, hash, move, register) run one at a time, in order.
 */
export class ModelInstallService {
  readonly #o: ModelInstallServiceOptions;
  readonly #jobs = new Map<number, ModelInstallJob>();
  #nextId = 1;
  #installChain: Promise<void> = Promise.resolve();
  readonly #cacheLocks = new Map<string, Promise<string>>();

  constructor(options: ModelInstallServiceOptions) {
    this.#o = options;
  }

  get records(): ModelRecords {
    return this.#o.records;
  }

  /** Starts an install from a source string (path, `owner/repo[:variant[:subfolder]]` or URL). */
  heuristicImport(
    source: string,
    config?: ModelRecordChanges | Record<string, unknown>,
    options: { accessToken?: string | null; inplace?: boolean } = {},
  ): ModelInstallJob {
    const parsed = parseModelSource(source, { inplace: options.inplace, accessToken: options.accessToken });
    return this.importModel(parsed, config);
  }

  /**
   * Starts an install job. A job for the same source that is still active is returned instead of a second one.
   * Overrides in `config` (name, description, type, base, format, …) win over identification.
   */
  importModel(source: ModelSource, config?: ModelRecordChanges | Record<string, unknown>): ModelInstallJob {
    const configIn = parseModelRecordChanges(config ?? {}, "overrides of the install");
    const text = modelSourceString(source);
    for (const job of this.#jobs.values()) {
      if (!job.finished && job.sourceText === text) return job;
    }
    const inplace = source.type === "local" ? source.inplace : false;
    const job = new ModelInstallJob(this.#nextId++, source, text, configIn, inplace);
    this.#jobs.set(job.id, job);
    if (source.type === "local") this.#queueInstall(job);
    else void this.#download(job);
    return job;
  }

  /** Every job, oldest first. */
  listJobs(): ModelInstallJob[] {
    return [...this.#jobs.values()];
  }

  /** A job by id; throws InstallJobNotFoundError. */
  getJob(id: number): ModelInstallJob {
    const job = this.#jobs.get(id);
    if (job === undefined) throw new InstallJobNotFoundError(id);
    return job;
  }

  /** Jobs installing this source string. */
  getJobsBySource(source: string): ModelInstallJob[] {
    return this.listJobs().filter((j) => j.sourceText === source);
  }

  /** Resolves with the job once it ended; rejects after `timeoutMs` (default: waits forever). */
  async waitForJob(id: number, timeoutMs?: number): Promise<ModelInstallJob> {
    const job = this.getJob(id);
    if (timeoutMs === undefined) return job.wait();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AtelierError("install_timeout", `Model install job ${id} did not finish within ${timeoutMs} ms`, {
              status: 408,
            }),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([job.wait(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until every job has ended. */
  async waitForInstalls(): Promise<ModelInstallJob[]> {
    await Promise.all(this.listJobs().map((j) => j.wait()));
    return this.listJobs();
  }

  /** Cancels a job: downloads stop and their files go, an install in progress is rolled back. */
  async cancelJob(id: number): Promise<ModelInstallJob> {
    const job = this.getJob(id);
    if (job.finished) return job;
    job.abort.abort();
    await Promise.all(job.parts.map((part) => this.#o.downloads.cancel(part)));
    // A job past its downloads is cancelled by the installer when it sees the abort; the others end here.
    if (job.status !== "running") await this.#finishCancelled(job);
    return job;
  }

  /** Pauses a downloading job (partial files are kept for `resumeJob`). */
  pauseJob(id: number): ModelInstallJob {
    const job = this.getJob(id);
    if (job.status !== "downloading" && job.status !== "waiting")
      throw new InstallJobStateError(id, job.status, "pause");
    job.status = "paused";
    for (const part of job.parts) if (!part.finished) this.#o.downloads.pause(part);
    return job;
  }

  /** Resumes a paused job: each unfinished file continues from its partial bytes (HTTP Range + ETag). */
  resumeJob(id: number): ModelInstallJob {
    const job = this.getJob(id);
    if (job.status !== "paused") throw new InstallJobStateError(id, job.status, "resume");
    job.status = "downloading";
    // Without parts the job is still listing the repo; it starts its files unpaused once it has them.
    for (const part of job.parts)
      if (part.status === "paused" || part.status === "error") this.#o.downloads.resume(part);
    return job;
  }

  /** Retries the files of a failed job that did not complete (resuming their partial bytes). */
  restartFailed(id: number): ModelInstallJob {
    const job = this.getJob(id);
    if (job.status !== "error" || job.parts.length === 0)
      throw new InstallJobStateError(id, job.status, "restart the failed downloads of");
    job.error = null;
    job.status = "downloading";
    for (const part of job.parts) if (part.status !== "completed") this.#o.downloads.resume(part);
    return job;
  }

  /** Downloads one file of a job again from its start. */
  async restartFile(id: number, fileSource: string): Promise<ModelInstallJob> {
    const job = this.getJob(id);
    const part = job.parts.find((p) => p.url === fileSource);
    if (part === undefined) throw new InvalidModelSourceError(fileSource, `it is not a file of install job ${id}`);
    if (job.finished && job.status !== "error") throw new InstallJobStateError(id, job.status, "restart a file of");
    if (part.status === "running") this.#o.downloads.pause(part);
    await this.#o.downloads.whenSettled(part);
    await rm(part.partPath, { force: true });
    await rm(part.downloadPath, { force: true });
    if (part.status === "completed") part.status = "error";
    job.error = null;
    job.status = "downloading";
    this.#o.downloads.resume(part);
    return job;
  }

  /** Forgets ended jobs (and removes temp folders left by failed ones). */
  async pruneJobs(): Promise<void> {
    for (const [id, job] of this.#jobs) {
      if (!job.finished) continue;
      if (job.tempDir !== null) await rm(job.tempDir, { recursive: true, force: true });
      this.#jobs.delete(id);
    }
    this.#o.downloads.prune();
  }

  /** Registers a file or folder where it is; returns its config. */
  async registerPath(path: string, config?: ModelRecordChanges | Record<string, unknown>): Promise<ModelConfig> {
    const job = this.importModel({ type: "local", path: resolve(path), inplace: true }, config);
    return this.#result(await job.wait());
  }

  /** Installs a file or folder by moving it into `models/<key>/`; returns its config. */
  async installPath(path: string, config?: ModelRecordChanges | Record<string, unknown>): Promise<ModelConfig> {
    const job = this.importModel({ type: "local", path: resolve(path), inplace: false }, config);
    return this.#result(await job.wait());
  }

  /** Removes a record, leaving the files. */
  async unregister(key: string): Promise<void> {
    await this.#o.records.delete(key);
    this.#o.onModelDeleted?.(key);
  }

  /** Removes a record and its files when they live inside models_dir (a model registered elsewhere keeps its files). */
  async delete(key: string): Promise<{ key: string; files_deleted: boolean }> {
    const config = await this.#o.records.get(key);
    const path = this.#o.records.toAbsolutePath(config.path);
    await this.#o.records.delete(key);
    this.#o.onModelDeleted?.(key);
    const filesDeleted = await deleteModelFiles(path, this.#o.modelsDir);
    await this.#o.images?.deleteIfAny(key);
    this.#o.logger?.info(`Deleted model ${config.name} (${key})${filesDeleted ? ` and its files at ${path}` : ""}`, {
      key,
    });
    return { key, files_deleted: filesDeleted };
  }

  /**
   * Identifies an installed model again (after an identification fix, or to undo a manual change): the kind fields
   * (type, format, base, variant, prediction type, …) are replaced; key, name, description, source, hash and the
   * user's settings are kept.
   */
  async reidentify(key: string): Promise<ModelConfig> {
    const current = await this.#o.records.get(key);
    const identification = await identifyModel(this.#o.records.toAbsolutePath(current.path), {
      allowUnknown: this.#o.allowUnknown ?? true,
    });
    const kindFields = [
      "type",
      "format",
      "base",
      "variant",
      "prediction_type",
      "repo_variant",
      "config_path",
      "upcast_attention",
      "unknown_reason",
      "submodels",
    ];
    const kept = Object.fromEntries(Object.entries(current).filter(([field]) => !kindFields.includes(field)));
    const next = parseModelConfig(
      {
        ...kept,
        ...identification.fields,
        ...(identification.unknownReason === null ? {} : { unknown_reason: identification.unknownReason }),
      },
      `of model ${key} after re-identification`,
    );
    this.#o.onModelDeleted?.(key);
    return this.#o.records.replace(key, next);
  }

  /** Installed models whose files are gone. */
  async missingModels(): Promise<ModelConfig[]> {
    const out: ModelConfig[] = [];
    for (const config of await this.#o.records.list()) {
      const exists = await stat(this.#o.records.toAbsolutePath(config.path)).then(
        () => true,
        () => false,
      );
      if (!exists) out.push(config);
    }
    return out;
  }

  /** The models (model files, and folders with a model config) directly in a folder, and whether each is installed. */
  async scanFolder(folder: string): Promise<ScannedModel[]> {
    const root = resolve(folder);
    const entries = await readdir(root, { withFileTypes: true }).catch(() => {
      throw new InvalidModelSourceError(folder, "it is not a readable folder");
    });
    const out: ScannedModel[] = [];
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".")) continue;
      const path = join(root, entry.name);
      const isModel = entry.isDirectory()
        ? await this.#looksLikeModelFolder(path)
        : MODEL_FILE_EXTENSIONS.has(posix.extname(entry.name).toLowerCase());
      if (!isModel) continue;
      out.push({ path, is_installed: (await this.#o.records.searchByPath(path)).length > 0 });
    }
    return out;
  }

  /**
   * Registers (in place) every model under models_dir that has no record (`scan_models_on_startup`): model files
   * and folders with a model config, skipping the download cache, temp folders and what is already registered.
   * Returns the new records; a file that cannot be identified is logged and skipped.
   */
  async syncModelsDir(): Promise<ModelConfig[]> {
    const known = await this.#o.records.allPaths();
    const found: string[] = [];
    const cacheDir = resolve(this.#o.downloadCacheDir);
    const walk = async (folder: string, depth: number): Promise<void> => {
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (entry.name.startsWith(".") || entry.name.startsWith(INSTALL_TEMP_PREFIX)) continue;
        const path = join(folder, entry.name);
        if (path === cacheDir) continue;
        const stored = this.#o.records.toStoredPath(path);
        if (known.has(stored)) continue;
        if (entry.isDirectory()) {
          if (await this.#looksLikeModelFolder(path)) found.push(path);
          else if (depth < 4) await walk(path, depth + 1);
        } else if (entry.isFile() && MODEL_FILE_EXTENSIONS.has(posix.extname(entry.name).toLowerCase())) {
          found.push(path);
        }
      }
    };
    await walk(resolve(this.#o.modelsDir), 0);
    const added: ModelConfig[] = [];
    for (const path of found) {
      try {
        added.push(await this.registerPath(path));
      } catch (error) {
        this.#o.logger?.warning(`Could not register ${path} found in the models folder: ${(error as Error).message}`, {
          path,
        });
      }
    }
    if (added.length > 0)
      this.#o.logger?.info(`Registered ${added.length} model(s) found in ${this.#o.modelsDir}`, {
        count: added.length,
      });
    return added;
  }

  /** Removes temp folders that an interrupted process left in models_dir. */
  async cleanupTempDirs(): Promise<void> {
    const entries = await readdir(this.#o.modelsDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.startsWith(INSTALL_TEMP_PREFIX)) {
        await rm(join(this.#o.modelsDir, entry.name), { recursive: true, force: true });
      }
    }
  }

  /** Cancels every active job (at shutdown). */
  async stop(): Promise<void> {
    await Promise.all(
      this.listJobs()
        .filter((j) => !j.finished)
        .map((j) => this.cancelJob(j.id)),
    );
  }

  /** The model files of a Hugging Face repo (InvokeAI's `GET /hugging_face`). */
  async listHuggingFace(repo: string, accessToken?: string): Promise<HuggingFaceModels> {
    const source = parseModelSource(repo, { accessToken });
    if (source.type !== "hf") throw new InvalidModelSourceError(repo, "it is not a Hugging Face repo id");
    const info = await this.#o.hf.repoInfo(source.repo_id, { accessToken: source.access_token ?? undefined });
    const files = selectHfFiles(info.files, { variant: source.variant, subfolders: hfSubfolders(source) });
    const isDiffusers = info.files.some((f) => f.path === "model_index.json");
    const weights = files.filter((f) => /\.(safetensors|bin|pt|pth|ckpt|onnx|gguf)$/.test(f.path));
    return {
      urls: (isDiffusers ? files : weights).map((f) => this.#o.hf.fileUrl(source.repo_id, f.path)),
      is_diffusers: isDiffusers,
    };
  }

  /**
   * Downloads a URL or Hugging Face repo into `<download cache>/<slug>` without registering it (InvokeAI's
   * `download_and_cache_model`); a second call returns the cached path without a request. Concurrent calls for one
   * source share the download. A local path is returned as it is.
   */
  downloadAndCacheModel(source: string, accessToken?: string): Promise<string> {
    const parsed = parseModelSource(source, { accessToken });
    if (parsed.type === "local") return Promise.resolve(parsed.path);
    const slug = downloadCacheSlug(modelSourceString(parsed));
    let pending = this.#cacheLocks.get(slug);
    if (pending === undefined) {
      pending = this.#downloadToCache(parsed, slug).finally(() => this.#cacheLocks.delete(slug));
      this.#cacheLocks.set(slug, pending);
    }
    return pending;
  }

  async #downloadToCache(source: HFModelSource | URLModelSource, slug: string): Promise<string> {
    const dest = join(this.#o.downloadCacheDir, slug);
    const existing = await readdir(dest).catch(() => [] as string[]);
    if (existing.length > 0) return join(dest, existing.sort()[0]);
    await mkdir(this.#o.downloadCacheDir, { recursive: true });
    const temp = await mkdtemp(join(this.#o.downloadCacheDir, `.tmp-${slug.slice(0, 40)}-`));
    try {
      const { files } = await this.#plan(source, undefined);
      const root = source.type === "hf" && files.length > 1 ? join(temp, basename(source.repo_id)) : temp;
      const parts = files.map((f) =>
        this.#o.downloads.submit({
          url: f.url,
          downloadPath: join(root, f.relativePath),
          accessToken: this.#downloadToken(source),
        }),
      );
      await Promise.all(parts.map((p) => this.#o.downloads.whenSettled(p)));
      const failed = parts.find((p) => p.status !== "completed");
      if (failed !== undefined) throw failed.error ?? new DownloadCancelledError(failed.url);
      await rm(dest, { recursive: true, force: true });
      await rename(temp, dest);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    const entries = (await readdir(dest)).sort();
    return join(dest, entries[0]);
  }

  /** A hub file carries the stored Hugging Face login when the source brings no token; a plain URL never does. */
  #downloadToken(source: HFModelSource | URLModelSource): string | undefined {
    return source.type === "hf" ? this.#o.hf.tokenFor(source.access_token) : (source.access_token ?? undefined);
  }

  async #looksLikeModelFolder(path: string): Promise<boolean> {
    const names = await readdir(path).catch(() => [] as string[]);
    return names.some(
      (n) =>
        n === "model_index.json" ||
        n === "config.json" ||
        n === "learned_embeds.safetensors" ||
        n.startsWith("pytorch_lora_weights."),
    );
  }

  #result(job: ModelInstallJob): ModelConfig {
    if (job.status === "completed" && job.configOut !== null) return job.configOut;
    throw (
      job.error ??
      new AtelierError("install_failed", `Model install job ${job.id} ended ${job.status}`, { status: 422 })
    );
  }

  #emitBase(job: ModelInstallJob): { id: number; source: { type: string; [key: string]: unknown } } {
    return { id: job.id, source: modelSourceJson(job.source) };
  }

  #emitDownload(
    job: ModelInstallJob,
    name: "model_install_download_started" | "model_install_download_progress",
  ): void {
    this.#o.events?.emit(name, {
      ...this.#emitBase(job),
      local_path: job.localPath,
      bytes: job.bytes,
      total_bytes: job.totalBytes,
      parts: job.parts.map((p) => ({
        url: p.url,
        local_path: p.downloadPath,
        bytes: p.bytes,
        total_bytes: p.totalBytes,
      })),
    });
  }

  /** Which files to fetch for a remote source, and what the hub said about it. */
  async #plan(
    source: HFModelSource | URLModelSource,
    job: ModelInstallJob | undefined,
  ): Promise<{ files: PlannedFile[] }> {
    if (source.type === "url") return { files: [{ url: source.url, relativePath: urlFileName(source.url) }] };
    const info = await this.#o.hf.repoInfo(source.repo_id, {
      accessToken: source.access_token ?? undefined,
      signal: job?.abort.signal,
    });
    const subfolders = hfSubfolders(source);
    let parts: Set<string> | undefined;
    const indexPath = subfolders.length === 1 ? `${subfolders[0]}/model_index.json` : "model_index.json";
    if (info.files.some((f) => f.path === indexPath)) {
      const json = await this.#o.hf
        .readJsonFile(source.repo_id, indexPath, {
          accessToken: source.access_token ?? undefined,
          signal: job?.abort.signal,
        })
        .catch(() => undefined);
      if (typeof json === "object" && json !== null) {
        parts = new Set(
          Object.entries(json)
            .filter(([, v]) => Array.isArray(v) && v[0] !== null)
            .map(([k]) => k),
        );
      }
    }
    const selected: SelectedHfFile[] = selectHfFiles(info.files, {
      variant: source.variant ?? "fp16",
      subfolders,
      pipelineParts: parts,
    });
    // The listing comes from the network: a path that climbs out of the download folder is refused, not joined.
    const unsafe = selected.find(
      (f) => f.relativePath.split("/").some((part) => part === ".." || part === "") || f.relativePath.startsWith("/"),
    );
    if (unsafe !== undefined) {
      throw new InvalidModelSourceError(
        modelSourceString(source),
        `the hub listed an unsafe file path ${JSON.stringify(unsafe.path)}`,
      );
    }
    if (selected.length === 0) {
      throw new InvalidModelSourceError(
        modelSourceString(source),
        "the repo has no model files for this variant and subfolder",
      );
    }
    if (job !== undefined) {
      job.sourceMetadata = {
        type: "hf",
        name: source.repo_id,
        repo_id: source.repo_id,
        sha: info.sha,
        files: selected.map((f) => ({ path: f.path, size: f.size ?? null })),
      };
      job.sourceApiResponse = info.apiResponse;
    }
    return {
      files: selected.map((f) => ({
        url: this.#o.hf.fileUrl(source.repo_id, f.path),
        relativePath: f.relativePath,
        size: f.size,
      })),
    };
  }

  async #download(job: ModelInstallJob): Promise<void> {
    const source = job.source as HFModelSource | URLModelSource;
    try {
      const { files } = await this.#plan(source, job);
      if (job.finished || job.abort.signal.aborted) return;
      await mkdir(this.#o.modelsDir, { recursive: true });
      job.tempDir = await mkdtemp(join(this.#o.modelsDir, INSTALL_TEMP_PREFIX));
      // Several files form a folder named after the repo; one file is installed as that file.
      const root = source.type === "hf" && files.length > 1 ? join(job.tempDir, basename(source.repo_id)) : job.tempDir;
      job.localPath = files.length === 1 ? join(root, files[0].relativePath) : root;
      const wasPaused = job.status === "paused";
      if (!wasPaused) job.status = "downloading";
      let announced = false;
      let lastProgress = 0;
      const listener = {
        started: () => {
          if (!announced) {
            announced = true;
            this.#emitDownload(job, "model_install_download_started");
          }
        },
        progress: () => {
          const now = Date.now();
          if (now - lastProgress < (this.#o.progressIntervalMs ?? 250)) return;
          lastProgress = now;
          this.#emitDownload(job, "model_install_download_progress");
        },
        completed: () => this.#partSettled(job),
        failed: () => this.#partSettled(job),
        cancelled: () => this.#partSettled(job),
      };
      job.parts = files.map((f) =>
        this.#o.downloads.submit({
          url: f.url,
          downloadPath: join(root, f.relativePath),
          accessToken: this.#downloadToken(source),
          listener,
        }),
      );
      if (wasPaused) for (const part of job.parts) this.#o.downloads.pause(part);
    } catch (error) {
      if (job.finished) return;
      if (job.abort.signal.aborted) await this.#finishCancelled(job);
      else await this.#fail(job, error);
    }
  }

  /** Called when a file of a job stops: decides whether the job failed, or all its files are in. */
  #partSettled(job: ModelInstallJob): void {
    if (job.finished || job.abort.signal.aborted) return;
    const failed = job.parts.find((p) => p.status === "error");
    if (failed !== undefined) {
      // The other files stop but keep their bytes, so that `restart_failed` can resume the whole job.
      for (const part of job.parts) if (!part.finished && part.status !== "paused") this.#o.downloads.pause(part);
      void this.#fail(job, failed.error ?? new DownloadFailedError(failed.url, "failed"), false);
      return;
    }
    if (!job.parts.every((p) => p.status === "completed")) return;
    job.status = "downloads_done";
    this.#emitDownload(job, "model_install_download_progress");
    this.#o.events?.emit("model_install_downloads_complete", this.#emitBase(job));
    this.#queueInstall(job);
  }

  #queueInstall(job: ModelInstallJob): void {
    this.#installChain = this.#installChain.then(() => this.#install(job)).catch(() => undefined);
  }

  async #install(job: ModelInstallJob): Promise<void> {
    if (job.finished) return;
    if (job.abort.signal.aborted) {
      await this.#finishCancelled(job);
      return;
    }
    job.status = "running";
    this.#o.events?.emit("model_install_started", this.#emitBase(job));
    const records = this.#o.records;
    let movedFrom: string | undefined;
    let movedTo: string | undefined;
    try {
      const remote = job.source.type !== "local";
      job.hashTotalBytes =
        this.#o.hashingAlgorithm === "random" ? 0 : await hashableBytes(job.localPath).catch(() => 0);
      const config = await probeModel(job.localPath, {
        overrides: job.configIn,
        allowUnknown: this.#o.allowUnknown ?? true,
        hashingAlgorithm: this.#o.hashingAlgorithm,
        source: job.sourceText,
        sourceType: modelSourceType(job.source),
        sourceApiResponse: job.sourceApiResponse,
        signal: job.abort.signal,
        onHashProgress: (bytes) => {
          job.hashedBytes = bytes;
        },
      });
      if (job.abort.signal.aborted) throw new CanceledError(`Model install job ${job.id} was cancelled`);
      if (!config.hash.startsWith("random:")) {
        const same = await records.searchByHash(config.hash);
        if (same.length > 0) {
          throw new DuplicateModelError(
            `This model is already installed as ${same[0].name} (key ${same[0].key}, hash ${config.hash})`,
            {
              existing_key: same[0].key,
              hash: config.hash,
            },
          );
        }
      }
      let path = job.localPath;
      if (!job.inplace) {
        if (isInside(path, this.#o.modelsDir) && !remote && (await records.searchByPath(path)).length > 0) {
          throw new DuplicateModelError(`A model is already installed at ${path}`, { path });
        }
        movedFrom = path;
        path = await moveModelIntoPlace(path, this.#o.modelsDir, config.key);
        movedTo = path;
      }
      const added = await records.add({ ...config, path });
      job.configOut = added;
      job.localPath = records.toAbsolutePath(added.path);
      job.status = "completed";
      if (job.tempDir !== null) await rm(job.tempDir, { recursive: true, force: true });
      job.tempDir = null;
      this.#o.events?.emit("model_install_complete", {
        ...this.#emitBase(job),
        key: added.key,
        total_bytes: added.file_size,
        config: added as unknown as EventJsonObject,
      });
      this.#o.logger?.info(
        `Installed model ${added.name} (${added.type}/${added.base}/${added.format}) as ${added.key}`,
        {
          key: added.key,
          source: job.sourceText,
        },
      );
      job.notifyFinished();
    } catch (error) {
      // Put a moved local model back where the user had it.
      if (movedFrom !== undefined && movedTo !== undefined && job.source.type === "local") {
        await movePath(movedTo, movedFrom).catch(() => undefined);
        await deleteModelFiles(movedTo, this.#o.modelsDir).catch(() => false);
      }
      if (job.abort.signal.aborted || error instanceof CanceledError) await this.#finishCancelled(job);
      else await this.#fail(job, error);
    }
  }

  async #finishCancelled(job: ModelInstallJob): Promise<void> {
    if (job.finished) return;
    job.status = "cancelled";
    job.error = null;
    if (job.tempDir !== null) await rm(job.tempDir, { recursive: true, force: true });
    job.tempDir = null;
    this.#o.events?.emit("model_install_cancelled", this.#emitBase(job));
    this.#o.logger?.info(`Model install job ${job.id} (${job.sourceText}) was cancelled`, { id: job.id });
    job.notifyFinished();
  }

  async #fail(job: ModelInstallJob, error: unknown, removeTemp = true): Promise<void> {
    if (job.finished) return;
    const err = errorOf(error);
    job.error = err;
    job.status = "error";
    if (removeTemp && job.tempDir !== null) {
      await rm(job.tempDir, { recursive: true, force: true });
      job.tempDir = null;
    }
    this.#o.events?.emit("model_install_error", { ...this.#emitBase(job), error_type: err.name, error: err.message });
    this.#o.logger?.warning(`Model install job ${job.id} (${job.sourceText}) failed: ${err.message}`, { id: job.id });
    job.notifyFinished();
  }
}
