import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import {
  DownloadCancelledError,
  DownloadFailedError,
  DownloadHttpError,
  PrivateDownloadUrlError,
} from "../model-errors.js";
import { isPrivateAddress } from "./private-address.js";

/** A token sent as `Authorization: Bearer` to URLs matching `url_regex` (config `remote_api_tokens`). */
export interface RemoteApiToken {
  readonly url_regex: string;
  readonly token: string;
}

/** The bearer token for a URL: the first `remote_api_tokens` entry whose regex matches it. */
export function tokenForUrl(url: string, tokens: readonly RemoteApiToken[] | undefined): string | undefined {
  for (const entry of tokens ?? []) {
    try {
      if (new RegExp(entry.url_regex).test(url)) return entry.token;
    } catch {
      // The config schema refuses invalid regexes; one that slips through simply never matches.
    }
  }
  return undefined;
}

/** Options of `httpGet`. */
export interface HttpGetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Config `allow_private_download_urls`. */
  allowPrivate: boolean;
  /** Bearer token for the request's own host (an explicit access token); not sent to other hosts on redirect. */
  accessToken?: string;
  /** Config `remote_api_tokens`, matched against every URL of the redirect chain. */
  tokens?: readonly RemoteApiToken[];
  /** Most redirects followed (default 5). */
  maxRedirects?: number;
  /** Fails a connection that stays silent this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** A response whose body has not been read. */
export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** A DNS lookup that refuses private addresses, so that the address checked is the address connected to. */
function guardedLookup(url: string, allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const bad = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad !== undefined) return callback(new PrivateDownloadUrlError(url, bad.address));
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

function requestOnce(url: URL, headers: Record<string, string>, options: HttpGetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0 && !options.allowPrivate && isPrivateAddress(host)) {
      reject(new PrivateDownloadUrlError(url.toString(), host));
      return;
    }
    if (options.signal?.aborted) {
      reject(new DownloadCancelledError(url.toString()));
      return;
    }
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(url, {
      method: "GET",
      headers,
      lookup: guardedLookup(url.toString(), options.allowPrivate) as unknown as typeof dnsLookup,
      signal: options.signal,
    });
    request.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
      request.destroy(
        new DownloadFailedError(url.toString(), `no data for ${(options.idleTimeoutMs ?? 60_000) / 1000} s`),
      );
    });
    request.once("response", resolve);
    request.once("error", (error: Error) => {
      if (error instanceof PrivateDownloadUrlError || error instanceof DownloadFailedError) reject(error);
      else if (error.name === "AbortError" || options.signal?.aborted)
        reject(new DownloadCancelledError(url.toString()));
      else reject(new DownloadFailedError(url.toString(), error.message, error));
    });
    request.end();
  });
}

/**
 * GET with the download rules: http(s) only, private addresses refused (checked at connection time, on every
 * redirect hop), redirects followed by hand so that a bearer token never leaves its host, abortable.
 */
export async function httpGet(rawUrl: string, options: HttpGetOptions): Promise<HttpResponse> {
  let url = new URL(rawUrl);
  const origin = url.host;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new DownloadFailedError(url.toString(), `only http and https URLs can be downloaded, not ${url.protocol}`);
    }
    const headers: Record<string, string> = { "user-agent": "atelier-model-manager", ...options.headers };
    const token =
      (url.host === origin ? options.accessToken : undefined) ?? tokenForUrl(url.toString(), options.tokens);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const response = await requestOnce(url, headers, options);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location !== undefined) {
      response.resume();
      if (hop >= (options.maxRedirects ?? 5)) throw new DownloadFailedError(rawUrl, "too many redirects");
      url = new URL(response.headers.location, url);
      continue;
    }
    return {
      url: url.toString(),
      status,
      statusText: response.statusMessage ?? "",
      headers: response.headers,
      body: response,
    };
  }
}

/** GETs a JSON document; throws DownloadHttpError on an error status. */
export async function httpGetJson(
  url: string,
  options: HttpGetOptions,
): Promise<{ json: unknown; text: string; headers: IncomingHttpHeaders }> {
  const response = await httpGet(url, { ...options, headers: { accept: "application/json", ...options.headers } });
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (response.status >= 400) throw new DownloadHttpError(url, response.status, response.statusText);
  try {
    return { json: JSON.parse(text) as unknown, text, headers: response.headers };
  } catch {
    throw new DownloadFailedError(url, "the answer is not JSON");
  }
}
