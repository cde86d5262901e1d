import { AtelierError } from "@atelier/core";
import type { FastifyError, FastifyInstance } from "fastify";

/** The JSON body of every error response: FastAPI's `detail` plus Atelier's typed fields. */
export interface ErrorBody {
  detail: unknown;
  error: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function isFastifyClientError(error: unknown): error is FastifyError & { statusCode: number } {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === "number" && status >= 400 && status < 500;
}

/** Builds the response for an error: typed errors keep their status, client errors from Fastify keep theirs. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AtelierError) {
    const issues = error.details.issues;
    return {
      status: error.status,
      body: {
        detail: Array.isArray(issues) && error.code === "invalid_request" ? issues : error.message,
        ...error.toJSON(),
      },
    };
  }
  if (isFastifyClientError(error)) {
    const code = typeof error.code === "string" ? error.code : "bad_request";
    return {
      status: error.statusCode,
      body: { detail: error.message, error: error.name, code, message: error.message },
    };
  }
  return {
    status: 500,
    body: {
      detail: "Internal server error",
      error: "InternalError",
      code: "internal_error",
      message: "Internal server error",
    },
  };
}

/** Installs the error and not-found handlers: typed JSON bodies, never a bare 500 for bad input. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error);
    if (status >= 500) request.log.error({ err: error }, `Unhandled error in ${request.method} ${request.url}`);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `No route ${request.method} ${request.url.split("?")[0]}`;
    void reply.status(404).send({ detail: "Not Found", error: "NotFound", code: "route_not_found", message });
  });
}
