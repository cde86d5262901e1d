import { Command } from "commander";
import cliProgress from "cli-progress";
import { AtelierError } from "@atelier/core";
import {
  deleteOrphanedModels,
  findOrphanedModels,
  loadConfig,
  ModelManager,
  openDatabase,
  type ModelConfig,
  type ModelInstallJob,
} from "@atelier/engine";
import type { CliIo } from "../cli-io.js";

interface RootOptions {
  root?: string;
  json?: boolean;
}

/** The model manager on a root folder's config and database (no server needed), closed after `use`. */
async function withModels<T>(opts: RootOptions, use: (models: ModelManager) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...(opts.root === undefined ? {} : { root: opts.root }), onWarning: () => undefined });
  const database = await openDatabase(config);
  // No start-up chores here: a server on the same root may be installing, and its temp folders must stay.
  const models = new ModelManager({ db: database.db, config, hfEndpoint: process.env.HF_ENDPOINT });
  try {
    return await use(models);
  } finally {
    await models.close();
    await database.close();
  }
}

function modelLine(config: ModelConfig): string {
  return `${config.key}  ${config.type.padEnd(10)} ${config.base.padEnd(12)} ${config.format.padEnd(10)} ${config.name}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Follows a job until it ends: a bar on a terminal (download, then hashing), plain phase lines otherwise. */
async function followJob(job: ModelInstallJob, io: CliIo, quiet: boolean): Promise<void> {
  if (quiet) {
    await job.wait();
    return;
  }
  const bar = io.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: io.stderr,
          format: " {phase} {bar} {percentage}% | {done_mb} of {total_mb}",
          hideCursor: true,
          barsize: 28,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let phase = "";
  let started = false;
  if (bar === undefined) io.err(`installing ${job.sourceText}…`);
  const show = () => {
    const downloading = job.status === "downloading" || job.status === "paused" || job.status === "waiting";
    const [done, total, name] =
      downloading && job.parts.length > 0
        ? [job.bytes, job.totalBytes, "downloading"]
        : [job.hashedBytes, job.hashTotalBytes, "hashing    "];
    if (name !== phase && (downloading ? job.parts.length > 0 : job.status === "running")) {
      phase = name;
      if (bar === undefined) io.err(`${name.trim()} ${megabytes(total)}…`);
    }
    if (bar === undefined || phase === "") return;
    const payload = { phase, done_mb: megabytes(done), total_mb: megabytes(total) };
    if (!started) {
      bar.start(Math.max(total, 1), done, payload);
      started = true;
    } else {
      bar.setTotal(Math.max(total, 1));
      bar.update(done, payload);
    }
  };
  const timer = setInterval(show, 100);
  try {
    await job.wait();
  } finally {
    clearInterval(timer);
    show();
    if (started && job.status === "completed") bar?.update(bar.getTotal());
    bar?.stop();
  }
}

function overridesFrom(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of ["name", "description", "type", "base", "format", "variant"] as const) {
    if (typeof opts[field] === "string") out[field] = opts[field];
  }
  if (typeof opts.predictionType === "string") out.prediction_type = opts.predictionType;
  return out;
}

/** `atelier models list|install|delete|scan`: the model manager of a root folder, without a server. */
export function modelsCommand(io: CliIo): Command {
  const models = new Command("models").description("List, install, delete and scan models of a root folder");
  const common = (cmd: Command) =>
    cmd.option("--root <dir>", "root folder (default $ATELIER_ROOT or ~/atelier)").option("--json", "print JSON");

  common(models.command("list").description("List installed models"))
    .option("--type <type>", "only this model type (main, lora, vae, …)")
    .option("--base <base>", "only this base (sd-1, sdxl, flux, …)")
    .action(async (opts: RootOptions & { type?: string; base?: string }) => {
      const list = await withModels(opts, (m) =>
        m.records.list({
          ...(opts.type === undefined ? {} : { type: opts.type as never }),
          ...(opts.base === undefined ? {} : { base: opts.base as never }),
        }),
      );
      if (opts.json) return io.out(JSON.stringify(list));
      if (list.length === 0) return io.out("No models installed.");
      for (const config of list) io.out(modelLine(config));
    });

  common(
    models
      .command("install")
      .description("Install a model from a path, an http(s) URL or owner/repo[:variant[:subfolder]]"),
  )
    .argument("<source>", "path, URL or Hugging Face repo id")
    .option("--inplace", "register a local model where it is instead of moving it into models/<key>/")
    .option("--name <name>", "model name (default: the file or folder name)")
    .option("--description <text>", "model description")
    .option("--type <type>", "model type, when identification cannot tell")
    .option("--base <base>", "base model, when identification cannot tell")
    .option("--format <format>", "model format, when identification cannot tell")
    .option("--variant <variant>", "model variant")
    .option("--prediction-type <type>", "scheduler prediction type (epsilon, v_prediction, sample)")
    .option("--access-token <token>", "token for the remote source")
    .action(async (source: string, opts: RootOptions & Record<string, unknown>) => {
      await withModels(opts, async (m) => {
        const job = m.install.heuristicImport(source, overridesFrom(opts), {
          inplace: opts.inplace === true,
          accessToken: typeof opts.accessToken === "string" ? opts.accessToken : undefined,
        });
        await followJob(job, io, opts.json === true);
        const dto = job.toDTO();
        if (opts.json) io.out(JSON.stringify(dto));
        else if (job.status === "completed" && job.configOut !== null) io.out(`installed ${modelLine(job.configOut)}`);
        if (job.status !== "completed") {
          if (!opts.json) io.err(`install ${job.status}: ${dto.error ?? ""}`);
          process.exitCode = 1;
        }
      });
    });

  common(models.command("delete").description("Delete models (their files too when they live inside models/)"))
    .argument("<keys...>", "model keys")
    .action(async (keys: string[], opts: RootOptions) => {
      await withModels(opts, async (m) => {
        const results = [];
        for (const key of keys) results.push(await m.install.delete(key));
        if (opts.json) return io.out(JSON.stringify(results));
        for (const r of results)
          io.out(`deleted ${r.key}${r.files_deleted ? " and its files" : " (files kept: outside models/)"}`);
      });
    });

  common(
    models.command("scan").description("Register unregistered models found in models/, or list the models in a folder"),
  )
    .argument("[folder]", "a folder to list (default: register what models/ holds)")
    .action(async (folder: string | undefined, opts: RootOptions) => {
      await withModels(opts, async (m) => {
        if (folder !== undefined) {
          const found = await m.install.scanFolder(folder);
          if (opts.json) return io.out(JSON.stringify(found));
          if (found.length === 0) return io.out(`No models in ${folder}.`);
          for (const f of found) io.out(`${f.is_installed ? "installed" : "new      "}  ${f.path}`);
          return;
        }
        const added = await m.install.syncModelsDir();
        if (opts.json) return io.out(JSON.stringify(added));
        if (added.length === 0) return io.out("No new models.");
        for (const config of added) io.out(`registered ${modelLine(config)}`);
      });
    });

  common(
    models
      .command("orphaned")
      .description("List folders in models/ holding model files that no installed model points to"),
  )
    .option("--delete", "delete every folder listed")
    .action(async (opts: RootOptions & { delete?: boolean }) => {
      await withModels(opts, async (m) => {
        const orphans = await findOrphanedModels(m.records);
        const result =
          opts.delete === true
            ? await deleteOrphanedModels(
                m.records,
                orphans.map((o) => o.path),
              )
            : null;
        if (opts.json) return io.out(JSON.stringify(result ?? orphans));
        if (orphans.length === 0) return io.out("No orphaned model folders.");
        for (const o of orphans) {
          const state = result === null ? "orphaned" : result.deleted.includes(o.path) ? "deleted " : "kept    ";
          io.out(`${state}  ${o.path}  ${megabytes(o.size_bytes)}  (${o.files.join(", ")})`);
        }
        if (result !== null && Object.keys(result.errors).length > 0) {
          for (const [path, why] of Object.entries(result.errors)) io.err(`${path}: ${why}`);
          process.exitCode = 1;
        }
      });
    });

  models.hook("preAction", (_this, action) => {
    const opts = action.opts() as RootOptions;
    if (opts.root !== undefined && opts.root.trim() === "")
      throw new AtelierError("invalid_root", "--root must not be empty");
  });
  return models;
}
