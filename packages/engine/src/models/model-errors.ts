import { AtelierError } from "@atelier/core";

// Errors of the model manager. Codes are stable; messages name the model, path, source or job concerned.

/** No installed model has this key (InvokeAI's UnknownModelException). */
export class UnknownModelError extends AtelierError {
  constructor(what: string, details: Record<string, unknown> = {}) {
    super("unknown_model", `Unknown model: ${what}`, { status: 404, details });
  }
}

/** `loadByAttrs` found several models with the same name, base and type. */
export class AmbiguousModelError extends AtelierError {
  constructor(name: string, base: string, type: string, keys: readonly string[]) {
    super(
      "ambiguous_model",
      `More than one model matches name ${JSON.stringify(name)}, base ${base}, type ${type}: keys ${keys.join(", ")}`,
      { status: 409, details: { name, base, type, keys: [...keys] } },
    );
  }
}

/** A model with this path, key or hash is already installed. */
export class DuplicateModelError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("duplicate_model", message, { status: 409, details });
  }
}

/** A model config (from a request, a patch or the database) does not validate. */
export class InvalidModelConfigError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_model_config", message, { status: 422, details });
  }
}

/** A file or folder was recognised as a model kind but is broken (InvokeAI's InvalidMatchError), or unreadable. */
export class InvalidModelError extends AtelierError {
  constructor(path: string, reason: string, details: Record<string, unknown> = {}) {
    super("invalid_model", `Model at ${path} is invalid: ${reason}`, { status: 422, details: { path, ...details } });
  }
}

/** Identification found no kind and `allow_unknown_models` is off. */
export class UnidentifiedModelError extends AtelierError {
  constructor(path: string, reasons: readonly string[]) {
    super(
      "unidentified_model",
      `Cannot determine the model type of ${path} (allow_unknown_models is off): ${reasons.join("; ") || "no rule matched"}`,
      { status: 422, details: { path, reasons: [...reasons] } },
    );
  }
}

/** An install source string is neither an existing path, a Hugging Face repo id nor an http(s) URL. */
export class InvalidModelSourceError extends AtelierError {
  constructor(source: string, reason: string) {
    super("invalid_model_source", `Invalid model source ${JSON.stringify(source)}: ${reason}`, {
      status: 400,
      details: { source },
    });
  }
}

/** A download URL points at a loopback or private address and `allow_private_download_urls` is off. */
export class PrivateDownloadUrlError extends AtelierError {
  constructor(url: string, address: string) {
    super(
      "private_download_url",
      `Refusing to download ${url}: it resolves to the private or loopback address ${address} (set allow_private_download_urls to allow it)`,
      { status: 403, details: { url, address } },
    );
  }
}

/** An HTTP download or hub request got an error status. */
export class DownloadHttpError extends AtelierError {
  readonly httpStatus: number;
  constructor(url: string, httpStatus: number, statusText: string) {
    const hint =
      httpStatus === 401 || httpStatus === 403
        ? " (the access token is missing or wrong)"
        : httpStatus === 404
          ? " (no such repo, revision or file)"
          : "";
    super("download_http_error", `GET ${url} answered ${httpStatus} ${statusText}${hint}`, {
      status: httpStatus === 404 ? 404 : httpStatus === 401 || httpStatus === 403 ? 401 : 502,
      details: { url, http_status: httpStatus },
    });
    this.httpStatus = httpStatus;
  }
}

/** A download failed for a reason other than an HTTP status (connection cut after every retry, disk error…). */
export class DownloadFailedError extends AtelierError {
  constructor(url: string, reason: string, cause?: unknown) {
    super("download_failed", `Download of ${url} failed: ${reason}`, { status: 502, details: { url }, cause });
  }
}

/** The download or install was cancelled. */
export class DownloadCancelledError extends AtelierError {
  constructor(url: string) {
    super("download_cancelled", `Download of ${url} was cancelled`, { status: 409, details: { url } });
  }
}

/** No install job has this id. */
export class InstallJobNotFoundError extends AtelierError {
  constructor(id: number) {
    super("install_job_not_found", `Model install job ${id} was not found`, { status: 404, details: { id } });
  }
}

/** The install job is in a state that does not allow the operation (e.g. resuming a completed job). */
export class InstallJobStateError extends AtelierError {
  constructor(id: number, status: string, operation: string) {
    super("install_job_state", `Model install job ${id} is ${status}: cannot ${operation} it`, {
      status: 409,
      details: { id, status, operation },
    });
  }
}

/** No loader is registered for the model's type, format and base. */
export class NoModelLoaderError extends AtelierError {
  constructor(type: string, format: string, base: string) {
    super("no_model_loader", `No loader for models of type ${type}, format ${format}, base ${base}`, {
      status: 422,
      details: { type, format, base },
    });
  }
}

/** Loading a model failed (missing submodel, unreadable weights, runtime error…). */
export class ModelLoadError extends AtelierError {
  constructor(what: string, reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("model_load_failed", `Cannot load ${what}: ${reason}`, { status: 422, details, cause });
  }
}

/** A tensor name that a state dict does not hold. */
export class UnknownTensorError extends AtelierError {
  constructor(name: string, path: string) {
    super("unknown_tensor", `Tensor ${JSON.stringify(name)} is not in ${path}`, {
      status: 404,
      details: { tensor: name, path },
    });
  }
}

/** A model path that must stay inside the models folder does not. */
export class ModelPathError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("model_path", message, { status: 400, details });
  }
}
