// The regular expression published with the Semantic Versioning 2.0.0 specification (semver.org).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Whether a string is a valid semantic version (`1.2.3`, `1.0.0-beta.1`). */
export function isSemver(version: string): boolean {
  return SEMVER.test(version);
}
