import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { DownloadHttpError } from "../model-errors.js";
import type { HuggingFaceClient } from "./hf-client.js";

/** What `GET /hf_login` reports (InvokeAI's HFTokenStatus). */
export type HFTokenStatus = "valid" | "invalid" | "unknown";

/** Every HFTokenStatus value. */
export const HF_TOKEN_STATUSES: readonly HFTokenStatus[] = ["valid", "invalid", "unknown"];

/** File name of the stored token, kept hidden inside models_dir so that model scans skip it. */
export const HF_TOKEN_FILE_NAME = ".hf_token";

/**
 * The Hugging Face login (InvokeAI's HFTokenHelper over huggingface_hub's token file): one token, stored in a
 * file only the owner can read, sent to the hub when a request brings no token of its own. `$HF_TOKEN` is used
 * when no token was stored. The token never appears in logs, errors or responses.
 */
export class HuggingFaceLogin {
  readonly #file: string;
  readonly #env: () => string | undefined;
  #token: string | undefined;

  constructor(options: { file: string; env?: () => string | undefined }) {
    this.#file = options.file;
    this.#env = options.env ?? (() => process.env.HF_TOKEN);
    try {
      const text = readFileSync(this.#file, "utf8").trim();
      this.#token = text === "" ? undefined : text;
    } catch {
      this.#token = undefined;
    }
  }

  /** The token hub requests carry by default: the stored one, else `$HF_TOKEN`. */
  token(): string | undefined {
    const env = this.#env()?.trim();
    return this.#token ?? (env === undefined || env === "" ? undefined : env);
  }

  /** Whether the hub accepts the current token: no token or a refused one → invalid; no answer → unknown. */
  async status(hf: HuggingFaceClient): Promise<HFTokenStatus> {
    const token = this.token();
    if (token === undefined) return "invalid";
    try {
      await hf.whoami(token);
      return "valid";
    } catch (error) {
      if (error instanceof DownloadHttpError && (error.httpStatus === 401 || error.httpStatus === 403))
        return "invalid";
      return "unknown";
    }
  }

  /** Stores a token (even one the hub refuses, as huggingface_hub's login does) and reports its status. */
  async login(hf: HuggingFaceClient, token: string): Promise<HFTokenStatus> {
    const trimmed = token.trim();
    await mkdir(dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temp, trimmed, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, this.#file);
    this.#token = trimmed === "" ? undefined : trimmed;
    return this.status(hf);
  }

  /** Forgets the stored token and reports the status without it. */
  async logout(hf: HuggingFaceClient): Promise<HFTokenStatus> {
    await rm(this.#file, { force: true });
    this.#token = undefined;
    return this.status(hf);
  }
}
