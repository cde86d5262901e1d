/** Compares Atelier's `/openapi.json` with InvokeAI's, operation by operation, for the route groups Atelier serves. */

type Json = Record<string, unknown>;

export interface OpenApiLike {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema?: Json;
}

function resolve(doc: OpenApiLike, schema: unknown, depth = 0): Json | undefined {
  if (typeof schema !== "object" || schema === null || depth > 8) return undefined;
  const s = schema as Json;
  if (typeof s.$ref === "string") return resolve(doc, doc.components.schemas[s.$ref.split("/").pop()!], depth + 1);
  if (Array.isArray(s.anyOf)) {
    const nonNull = (s.anyOf as Json[]).filter((m) => m.type !== "null");
    if (nonNull.length === 1) return resolve(doc, nonNull[0], depth + 1);
  }
  return s;
}

/** A coarse type name: what a client relies on (string, integer, number, boolean, array, object). */
function coarseType(doc: OpenApiLike, schema: unknown): string {
  const s = resolve(doc, schema);
  if (s === undefined) return "any";
  if (Array.isArray(s.anyOf)) {
    const types = new Set((s.anyOf as unknown[]).map((m) => coarseType(doc, m)).filter((t) => t !== "null"));
    return [...types].sort().join("|");
  }
  if (Array.isArray(s.enum)) return typeof s.enum[0] === "number" ? "integer" : "string";
  if (Array.isArray(s.type)) {
    const types = (s.type as string[]).filter((t) => t !== "null");
    return types.length === 1 ? types[0] : types.sort().join("|");
  }
  if (typeof s.type === "string") return s.type;
  if (s.properties !== undefined || s.additionalProperties !== undefined) return "object";
  return "any";
}

function successSchema(op: Json): { contentType: string; schema: unknown } | undefined {
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const ok = responses["200"] ?? responses["201"] ?? responses["202"];
  const content = (ok?.content ?? {}) as Record<string, { schema?: unknown }>;
  const [contentType] = Object.keys(content);
  return contentType === undefined ? undefined : { contentType, schema: content[contentType].schema };
}

/** One difference found between the two documents. */
export interface Difference {
  operation: string;
  what: string;
}

/** Options: which operations to compare and which differences are deliberate. */
export interface ComparisonOptions {
  /** Path prefixes of InvokeAI operations to compare. */
  prefixes: readonly string[];
  /** `"METHOD /path"` (whole operation) or `"METHOD /path param:name"` / `"METHOD /path field:name"` → reason. */
  deliberate: Readonly<Record<string, string>>;
  /** Parameter locations to ignore (e.g. cookies used only by InvokeAI's multi-user mode). */
  ignoredParamLocations?: readonly string[];
}

/**
 * Every difference between the InvokeAI operations under `prefixes` and Atelier's: missing operations, parameters
 * (name, location, requiredness, coarse type), and success-response fields (InvokeAI's required fields must exist
 * in Atelier's response with the same coarse type). Deliberate differences are skipped; returns what remains and
 * which deliberate entries were used (so stale ones can be reported).
 */
export function compareOpenApi(
  ours: OpenApiLike,
  theirs: OpenApiLike,
  options: ComparisonOptions,
): { differences: Difference[]; used: Set<string> } {
  const differences: Difference[] = [];
  const used = new Set<string>();
  const deliberate = (key: string) => {
    if (key in options.deliberate) {
      used.add(key);
      return true;
    }
    return false;
  };
  const ignored = new Set(options.ignoredParamLocations ?? []);
  for (const [path, ops] of Object.entries(theirs.paths)) {
    if (!options.prefixes.some((p) => path.startsWith(p))) continue;
    for (const [method, op] of Object.entries(ops)) {
      const operation = `${method.toUpperCase()} ${path}`;
      // A difference is reported unless an entry explains it; an entry only counts as used when it explains one.
      const report = (key: string, what: string) => {
        if (!deliberate(key)) differences.push({ operation, what });
      };
      const mine = ours.paths[path]?.[method];
      if (mine === undefined) {
        report(operation, "missing");
        continue;
      }
      const myParams = new Map(((mine.parameters ?? []) as Param[]).map((p) => [`${p.in}:${p.name}`, p]));
      for (const param of (op.parameters ?? []) as Param[]) {
        if (ignored.has(param.in)) continue;
        const key = `${operation} param:${param.name}`;
        const m = myParams.get(`${param.in}:${param.name}`);
        if (m === undefined) {
          report(key, `parameter ${param.in} ${param.name} missing`);
          continue;
        }
        if (Boolean(m.required) !== Boolean(param.required)) {
          report(key, `parameter ${param.name}: required ${String(m.required)} vs ${String(param.required)}`);
        }
        const [a, b] = [coarseType(ours, m.schema), coarseType(theirs, param.schema)];
        if (a !== b) report(key, `parameter ${param.name}: type ${a} vs ${b}`);
      }
      const theirBody = successSchema(op);
      const myBody = successSchema(mine);
      if (theirBody === undefined) continue;
      if (myBody === undefined) {
        report(`${operation} response`, "no success response body");
        continue;
      }
      if (theirBody.contentType !== myBody.contentType) {
        report(`${operation} content-type`, `content type ${myBody.contentType} vs ${theirBody.contentType}`);
      }
      const theirSchema = resolve(theirs, theirBody.schema);
      const mySchema = resolve(ours, myBody.schema);
      const theirProps = (theirSchema?.properties ?? {}) as Record<string, unknown>;
      const myProps = (mySchema?.properties ?? {}) as Record<string, unknown>;
      for (const field of (theirSchema?.required ?? []) as string[]) {
        const key = `${operation} field:${field}`;
        if (!(field in myProps)) {
          report(key, `response field ${field} missing`);
          continue;
        }
        const [a, b] = [coarseType(ours, myProps[field]), coarseType(theirs, theirProps[field])];
        if (a !== b && b !== "any" && a !== "any") report(key, `response field ${field}: type ${a} vs ${b}`);
      }
      if (theirSchema?.properties === undefined && theirSchema !== undefined && mySchema !== undefined) {
        const [a, b] = [coarseType(ours, mySchema), coarseType(theirs, theirSchema)];
        if (a !== b && b !== "any" && a !== "any") report(`${operation} response`, `response type ${a} vs ${b}`);
      }
    }
  }
  return { differences, used };
}
