import { AtelierError } from "@atelier/core";

/** The server answered with an error status; `body` is its JSON error body when it sent one. */
export class ApiRequestError extends AtelierError {
  constructor(method: string, url: string, status: number, body: unknown) {
    const message =
      typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
        ? (body as { message: string }).message
        : typeof body === "object" && body !== null && typeof (body as { detail?: unknown }).detail === "string"
          ? (body as { detail: string }).detail
          : `HTTP ${status}`;
    super("api_request_failed", `${method} ${url} failed (${status}): ${message}`, { status, details: { url, body } });
  }
}

/** The server could not be reached at all. */
export class ServerUnreachableError extends AtelierError {
  constructor(url: string, cause: unknown) {
    super(
      "server_unreachable",
      `Cannot reach the Atelier server at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        status: 503,
        details: { url },
        cause,
      },
    );
  }
}

/** A small JSON client for a running Atelier server. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  /** Sends a request and returns the parsed JSON body; throws `ApiRequestError` on a 4xx/5xx answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`).toString();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ServerUnreachableError(this.baseUrl, (error as { cause?: unknown }).cause ?? error);
    }
    const text = await response.text();
    const parsed: unknown = text === "" ? null : JSON.parse(text);
    if (!response.ok) throw new ApiRequestError(method, url, response.status, parsed);
    return parsed as T;
  }
}
