// A Hugging Face hub on loopback for tests: the endpoints the model installer uses (repo info, recursive tree
// listing with `Link` pagination, `resolve` downloads with Range / If-Range / ETag), bearer tokens (401), 404s, and
// knobs to cut a connection mid-file or to slow downloads so that a test can pause or cancel them.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, sep } from "node:path";

/** A repo: its files (path → bytes) and, optionally, the token it requires. */
export interface FakeRepo {
  files: Map<string, Uint8Array>;
  token?: string;
  sha?: string;
}

/** One request the hub saw. */
export interface FakeHubRequest {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
  authorization?: string;
  status: number;
}

/** The running hub. */
export interface FakeHub {
  /** Base URL, e.g. http://127.0.0.1:PORT (use it as the HF endpoint). */
  url: string;
  requests: FakeHubRequest[];
  /** Adds a repo from a folder on disk (its files, recursively) or from bytes. */
  addRepo(id: string, files: string | Record<string, Uint8Array | string>, options?: { token?: string }): Promise<void>;
  /** The next `times` downloads of `path` (a repo file path) end after `afterBytes` bytes, cut. */
  cutAfter(path: string, afterBytes: number, times?: number): void;
  /** Downloads send `chunkBytes` every `delayMs` (0 = full speed). */
  throttle(chunkBytes: number, delayMs: number): void;
  /** Tree listings give at most this many entries per page (default: all). */
  pageSize(entries: number | undefined): void;
  /** Resolves once a download of `path` that starts after this call has sent at least `bytes` bytes. */
  whenSent(path: string, bytes: number): Promise<void>;
  /** The URL that downloads a repo file. */
  fileUrl(repo: string, path: string): string;
  /** A token `GET /api/whoami-v2` accepts, as the account `name`. */
  addUser(token: string, name: string): void;
  close(): Promise<void>;
}

const etagOf = (bytes: Uint8Array) => `"${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}"`;

async function filesOf(folder: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out.set(relative(folder, full).split(sep).join("/"), await readFile(full));
  }
  return out;
}

/** Starts the fake hub on 127.0.0.1 with a free port. */
export async function startFakeHub(): Promise<FakeHub> {
  const users = new Map<string, string>();
  const repos = new Map<string, FakeRepo>();
  const requests: FakeHubRequest[] = [];
  const cuts = new Map<string, { afterBytes: number; times: number }>();
  let throttle = { chunkBytes: 0, delayMs: 0 };
  let pageSize: number | undefined;
  // Downloads are numbered so that `whenSent` only counts downloads that start after it is called.
  let downloadSeq = 0;
  const sentWaiters: { path: string; bytes: number; minSeq: number; resolve: () => void }[] = [];

  const noteSent = (path: string, seq: number, bytes: number) => {
    for (const waiter of [...sentWaiters]) {
      if (waiter.path === path && seq >= waiter.minSeq && bytes >= waiter.bytes) {
        sentWaiters.splice(sentWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const answer = (
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    response.writeHead(status, {
      "content-type": typeof body === "string" ? "text/plain" : "application/json",
      ...headers,
    });
    response.end(text);
    requests.push({
      method: request.method ?? "GET",
      path: request.url ?? "",
      status,
      authorization: request.headers.authorization,
    });
  };

  const authorized = (repo: FakeRepo, request: IncomingMessage) =>
    repo.token === undefined || request.headers.authorization === `Bearer ${repo.token}`;

  const serveFile = async (
    request: IncomingMessage,
    response: ServerResponse,
    repoId: string,
    repo: FakeRepo,
    path: string,
  ) => {
    const bytes = repo.files.get(path);
    const log: FakeHubRequest = {
      method: "GET",
      path: request.url ?? "",
      range: request.headers.range,
      ifRange: request.headers["if-range"] as string | undefined,
      authorization: request.headers.authorization,
      status: 0,
    };
    requests.push(log);
    if (bytes === undefined) {
      log.status = 404;
      response.writeHead(404, { "content-type": "text/plain", "x-error-code": "EntryNotFound" });
      response.end(`Entry not found: ${repoId}/${path}`);
      return;
    }
    const etag = etagOf(bytes);
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const ifRange = request.headers["if-range"];
    if (range !== null && (ifRange === undefined || ifRange === etag)) start = Number(range[1]);
    if (start > bytes.length) {
      log.status = 416;
      response.writeHead(416, { "content-range": `bytes */${bytes.length}` });
      response.end();
      return;
    }
    const partial = start > 0;
    log.status = partial ? 206 : 200;
    response.writeHead(partial ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(bytes.length - start),
      etag,
      "accept-ranges": "bytes",
      ...(partial ? { "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    const cut = cuts.get(path);
    const stopAt = cut !== undefined && cut.times > 0 ? Math.max(start, cut.afterBytes) : bytes.length;
    if (cut !== undefined && cut.times > 0) cut.times--;
    const seq = ++downloadSeq;
    let position = start;
    const chunk = throttle.chunkBytes > 0 ? throttle.chunkBytes : 64 * 1024;
    while (position < stopAt) {
      if (response.destroyed) return;
      const end = Math.min(stopAt, position + chunk);
      const ok = response.write(bytes.subarray(position, end));
      position = end;
      noteSent(path, seq, position);
      if (!ok) await new Promise((resolve) => response.once("drain", resolve));
      if (throttle.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, throttle.delayMs));
    }
    if (stopAt < bytes.length) {
      // Cut the connection mid-body: the client sees fewer bytes than Content-Length.
      response.socket?.destroy();
      return;
    }
    response.end();
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://hub");
      const path = decodeURIComponent(url.pathname);
      if (path === "/api/whoami-v2") {
        const user = users.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
        if (user === undefined)
          return answer(request, response, 401, { error: "Invalid credentials in Authorization header" });
        return answer(request, response, 200, { type: "user", name: user });
      }
      const api = /^\/api\/models\/([^/]+\/[^/]+?)(?:\/revision\/([^/]+))?$/.exec(path);
      const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path);
      const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
      const repoId = (api ?? tree ?? resolve)?.[1];
      const repo = repoId === undefined ? undefined : repos.get(repoId);
      if (repoId === undefined) return answer(request, response, 404, { error: "Not found" });
      if (repo === undefined)
        return answer(request, response, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      if (!authorized(repo, request))
        return answer(request, response, 401, { error: "Invalid credentials in Authorization header" });
      if (api !== null) {
        return answer(request, response, 200, {
          id: repoId,
          modelId: repoId,
          sha: repo.sha,
          siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
          tags: [],
        });
      }
      if (tree !== null) {
        const all = [...repo.files.entries()].map(([p, bytes]) => ({
          type: "file",
          oid: etagOf(bytes).slice(1, 41),
          size: bytes.length,
          path: p,
        }));
        const cursor = Number(url.searchParams.get("cursor") ?? 0);
        const size = pageSize ?? all.length;
        const page = all.slice(cursor, cursor + size);
        const headers: Record<string, string> = {};
        if (cursor + size < all.length)
          headers.link = `<${url.pathname}?recursive=true&cursor=${cursor + size}>; rel="next"`;
        return answer(request, response, 200, page, headers);
      }
      return serveFile(request, response, repoId, repo, resolve![3]);
    })().catch((error: unknown) => {
      if (!response.headersSent) answer(request, response, 500, String(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    async addRepo(id, files, options = {}) {
      const map =
        typeof files === "string"
          ? await filesOf(files)
          : new Map(Object.entries(files).map(([p, v]) => [p, typeof v === "string" ? Buffer.from(v) : v] as const));
      repos.set(id, { files: map, token: options.token, sha: createHash("sha1").update(id).digest("hex") });
    },
    cutAfter(path, afterBytes, times = 1) {
      cuts.set(path, { afterBytes, times });
    },
    throttle(chunkBytes, delayMs) {
      throttle = { chunkBytes, delayMs };
    },
    pageSize(entries) {
      pageSize = entries;
    },
    whenSent(path, bytes) {
      return new Promise((resolve) => sentWaiters.push({ path, bytes, minSeq: downloadSeq + 1, resolve }));
    },
    addUser(token, name) {
      users.set(token, name);
    },
    fileUrl(repo, path) {
      return `${base}/${repo}/resolve/main/${path}`;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
