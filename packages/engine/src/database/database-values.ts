import type { DbBoolean, Timestamp } from "./database-schema.js";

/** The current time as the database stores it: ISO-8601 UTC with milliseconds. */
export function nowTimestamp(): Timestamp {
  return new Date().toISOString();
}

/** Converts a JS boolean to the stored 0/1 (better-sqlite3 cannot bind booleans). */
export function toDbBoolean(value: boolean): DbBoolean {
  return value ? 1 : 0;
}

/** Reads a stored 0/1 (or a driver's boolean) back as a JS boolean. */
export function fromDbBoolean(value: number | boolean | null | undefined): boolean {
  return value === true || (typeof value === "number" && value !== 0);
}
