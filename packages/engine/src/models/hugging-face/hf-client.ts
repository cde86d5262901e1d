import { httpGetJson, type HttpGetOptions, type RemoteApiToken } from "../download/http-get.js";
import { DownloadFailedError } from "../model-errors.js";
import type { HfRepoFile } from "./hf-file-selection.js";

/** The public hub; `HF_ENDPOINT` (as huggingface_hub reads it) or the client option replaces it. */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** Options of HuggingFaceClient. */
export interface HuggingFaceClientOptions {
  /** Hub base URL, e.g. a mirror or a test server. */
  endpoint?: string;
  /** Config `allow_private_download_urls`. */
  allowPrivate: boolean;
  /** Config `remote_api_tokens`. */
  tokens?: readonly RemoteApiToken[];
  /** The token hub requests carry when they bring none (the stored Hugging Face login). */
  defaultToken?: () => string | undefined;
}

/** What the hub says about a repo. */
export interface HfRepoInfo {
  id: string;
  /** The commit the revision points at, when given. */
  sha: string | null;
  /** Every file, with sizes when the tree listing gave them. */
  files: HfRepoFile[];
  /** The `GET /api/models/{repo}` answer, as text (kept as the record's `source_api_response`). */
  apiResponse: string;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The next page of a paginated listing (`Link: <url>; rel="next"`). */
function nextLink(link: unknown): string | undefined {
  if (typeof link !== "string") return undefined;
  return /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
}

/**
 * The Hugging Face hub's HTTP API: repo info (`GET /api/models/{repo}[/revision/{rev}]`), the recursive file tree
 * (`GET /api/models/{repo}/tree/{rev}?recursive=true`, paginated by `Link`) and file URLs
 * (`/{repo}/resolve/{rev}/{path}`). Requests obey the download rules (private addresses, tokens).
 */
export class HuggingFaceClient {
  readonly endpoint: string;
  readonly #options: HuggingFaceClientOptions;

  constructor(options: HuggingFaceClientOptions) {
    this.endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, "");
    this.#options = options;
  }

  #http(accessToken: string | undefined, signal?: AbortSignal): HttpGetOptions {
    return {
      allowPrivate: this.#options.allowPrivate,
      tokens: this.#options.tokens,
      accessToken: accessToken ?? this.#options.defaultToken?.(),
      signal,
    };
  }

  /** The token a hub download carries: the request's own, else the stored login. */
  tokenFor(accessToken: string | null | undefined): string | undefined {
    return accessToken ?? this.#options.defaultToken?.();
  }

  /** Who a token belongs to (`GET /api/whoami-v2`); throws DownloadHttpError 401 for a refused token. */
  async whoami(token: string, signal?: AbortSignal): Promise<{ name: string | null }> {
    // A status check should not hang a settings page for the minute a download may wait.
    const { json } = await httpGetJson(`${this.endpoint}/api/whoami-v2`, {
      allowPrivate: this.#options.allowPrivate,
      accessToken: token,
      signal,
      idleTimeoutMs: 10_000,
    });
    const name = (json as { name?: unknown } | null)?.name;
    return { name: typeof name === "string" ? name : null };
  }

  /** The URL that downloads one file of a repo. */
  fileUrl(repoId: string, path: string, revision = "main"): string {
    return `${this.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
  }

  /** A JSON file of a repo (e.g. `model_index.json`), read through the download rules. */
  async readJsonFile(
    repoId: string,
    path: string,
    options: { revision?: string; accessToken?: string; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const { json } = await httpGetJson(
      this.fileUrl(repoId, path, options.revision),
      this.#http(options.accessToken, options.signal),
    );
    return json;
  }

  /** The repo's metadata and file list. Throws DownloadHttpError (401 wrong token, 404 no such repo). */
  async repoInfo(
    repoId: string,
    options: { revision?: string; accessToken?: string; signal?: AbortSignal } = {},
  ): Promise<HfRepoInfo> {
    const revision = options.revision ?? "main";
    const http = this.#http(options.accessToken, options.signal);
    const infoUrl =
      revision === "main"
        ? `${this.endpoint}/api/models/${repoId}`
        : `${this.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
    const info = await httpGetJson(infoUrl, http);
    const json = info.json as { id?: unknown; sha?: unknown; siblings?: unknown };
    let files = await this.#tree(repoId, revision, http).catch(() => undefined);
    if (files === undefined) {
      // An older or minimal hub: the siblings of the info answer, without sizes.
      const siblings = Array.isArray(json.siblings) ? json.siblings : [];
      files = siblings
        .map((s) => (typeof s === "object" && s !== null ? (s as { rfilename?: unknown }).rfilename : undefined))
        .filter((p): p is string => typeof p === "string")
        .map((path) => ({ path }));
    }
    return {
      id: typeof json.id === "string" ? json.id : repoId,
      sha: typeof json.sha === "string" ? json.sha : null,
      files,
      apiResponse: info.text,
    };
  }

  async #tree(repoId: string, revision: string, http: HttpGetOptions): Promise<HfRepoFile[]> {
    const files: HfRepoFile[] = [];
    let url: string | undefined =
      `${this.endpoint}/api/models/${repoId}/tree/${encodeURIComponent(revision)}?recursive=true`;
    for (let page = 0; url !== undefined; page++) {
      if (page > 1000) throw new DownloadFailedError(url, "the file listing does not end");
      const { json, headers } = await httpGetJson(url, http);
      if (!Array.isArray(json)) throw new DownloadFailedError(url, "the file listing is not a list");
      for (const item of json as { type?: unknown; path?: unknown; size?: unknown; lfs?: { size?: unknown } }[]) {
        if (item.type !== "file" || typeof item.path !== "string") continue;
        const size =
          typeof item.lfs?.size === "number" ? item.lfs.size : typeof item.size === "number" ? item.size : undefined;
        files.push(size === undefined ? { path: item.path } : { path: item.path, size });
      }
      const next = nextLink(headers.link);
      url = next === undefined ? undefined : new URL(next, this.endpoint).toString();
    }
    return files;
  }
}
