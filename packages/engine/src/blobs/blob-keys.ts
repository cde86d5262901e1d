import { InvalidBlobKeyError } from "./blob-errors.js";

/** Basename prefix of in-progress writes; keys may not use it so that listings and sweeps can tell them apart. */
export const TEMP_FILE_PREFIX = ".atelier-tmp-";

// S3's limit; also keeps fs paths well below PATH_MAX.
const MAX_KEY_BYTES = 1024;

/** Throws InvalidBlobKeyError unless `key` is a clean relative key (`a/b/c.png`) that stays inside the store. */
export function validateBlobKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) throw new InvalidBlobKeyError(String(key), "the key is empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new InvalidBlobKeyError(key, `the key is longer than ${MAX_KEY_BYTES} bytes`);
  if (key.includes("\0")) throw new InvalidBlobKeyError(key, "the key contains a NUL character");
  if (key.includes("\\")) throw new InvalidBlobKeyError(key, "the key contains a backslash; use '/' between parts");
  if (key.startsWith("/") || /^[A-Za-z]:/.test(key)) throw new InvalidBlobKeyError(key, "the key is an absolute path");
  for (const segment of key.split("/")) {
    if (segment === "")
      throw new InvalidBlobKeyError(key, "the key has an empty part ('//' or a leading/trailing '/')");
    if (segment === "." || segment === "..") throw new InvalidBlobKeyError(key, `the key has a '${segment}' part`);
    if (segment.startsWith(TEMP_FILE_PREFIX))
      throw new InvalidBlobKeyError(key, `parts may not start with '${TEMP_FILE_PREFIX}'`);
  }
  return key;
}

/** Validates a listing prefix: like a key, but it may be empty or end with '/'. */
export function validateBlobPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  validateBlobKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  return prefix;
}
