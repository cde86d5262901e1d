import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";

/** HTTP methods the API uses. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** How a route's success response is described in `/openapi.json`. */
export interface ResponseSpec {
  /** JSON body schema, or `null` for "any JSON" (InvokeAI's `{}` schema). */
  schema?: z.ZodType | null;
  /** Media type when the body is not JSON (e.g. `image/png`). */
  contentType?: string;
  description?: string;
  status?: number;
}

/** What a handler receives: validated and coerced parameters, query and body. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** One HTTP operation: path in OpenAPI form (`/api/v1/images/i/{image_name}`), schemas, and the handler. */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** `multipart/form-data` bodies are read by the handler itself; the schema only documents them. */
  bodyContentType?: "application/json" | "multipart/form-data";
  /** Whether the request body is required (default: true when `body` is given). */
  bodyRequired?: boolean;
  response?: ResponseSpec;
  handler(input: RouteInput<P, Q, B>): unknown;
}

/** A route with its generic types erased, as route tables hold them. */
export type AnyRouteSpec = RouteSpec<unknown, unknown, unknown>;

/** Declares a route; exists so TypeScript infers the handler's input types from the schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRouteSpec {
  return spec as unknown as AnyRouteSpec;
}
