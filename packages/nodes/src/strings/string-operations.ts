/**
 * The string operations of InvokeAI's string nodes (`invocations/strings.py`), as pure functions.
 */
import { AtelierError } from "@atelier/core";

/** A search pattern cannot be used. */
export class StringPatternError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("invalid_pattern", message, { status: 422, details });
  }
}

/**
 * `string_split_neg`: text inside `[...]` goes to the negative string, the rest to the positive one. Each `[` adds
 * a space to the negative string; a `]` ends the bracket; a backslash escapes the next bracket (and is kept).
 */
export function splitPositiveNegative(text: string): { positive_string: string; negative_string: string } {
  let positive = "";
  let negative = "";
  let depth = 0;
  let escaped = false;
  for (const ch of text) {
    let c = ch;
    if (c === "[" && !escaped) {
      negative += " ";
      depth++;
    } else if (c === "]" && !escaped) {
      depth--;
      c = " ";
    } else if (depth > 0) {
      negative += c;
    } else {
      positive += c;
    }
    escaped = c === "\\" && !escaped;
  }
  return { positive_string: positive, negative_string: negative };
}

/**
 * `string_split`: splits at the first `delimiter`. A blank delimiter splits at the first run of whitespace, as the
 * node's description promises (Python's `str.split(None, 1)`: leading whitespace is dropped first).
 */
export function splitOnce(text: string, delimiter: string): { string_1: string; string_2: string } {
  if (delimiter === "") {
    const trimmed = text.replace(/^\s+/, "");
    const m = /\s+/.exec(trimmed);
    if (!m) return { string_1: trimmed, string_2: "" };
    return { string_1: trimmed.slice(0, m.index), string_2: trimmed.slice(m.index + m[0].length).replace(/^\s+/, "") };
  }
  const at = text.indexOf(delimiter);
  if (at === -1) return { string_1: text, string_2: "" };
  return { string_1: text.slice(0, at), string_2: text.slice(at + delimiter.length) };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/** Turns a Python `re` pattern into a JavaScript RegExp (named groups, leading inline flags). */
export function pythonRegExp(pattern: string): RegExp {
  let source = pattern;
  let flags = "gu";
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1]) {
      if (f === "i" && !flags.includes("i")) flags += "i";
      else if (f === "m" && !flags.includes("m")) flags += "m";
      else if (f === "s" && !flags.includes("s")) flags += "s";
      else if (f === "x" || f === "L") {
        throw new StringPatternError(`Regex flag (?${f}) is not supported`, { field: "search_string", value: pattern });
      }
    }
  }
  source = source.replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>").replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>");
  try {
    return new RegExp(source, flags);
  } catch (err) {
    // Some valid Python patterns (e.g. `\-` outside a class) are rejected in unicode mode; retry without it.
    try {
      return new RegExp(source, flags.replace("u", ""));
    } catch {
      throw new StringPatternError(`Invalid regular expression: ${(err as Error).message}`, {
        field: "search_string",
        value: pattern,
      });
    }
  }
}

/** Turns a Python `re.sub` replacement (`\1`, `\g<1>`, `\g<name>`, `\n`) into a replacer function. */
function pythonReplacement(template: string): (match: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const groups = typeof last === "object" && last !== null ? (last as Record<string, string | undefined>) : {};
    const captures = rest.slice(0, typeof last === "object" && last !== null ? -3 : -2) as Array<string | undefined>;
    const group = (key: string): string => {
      if (/^\d+$/.test(key)) {
        const n = Number(key);
        return n === 0 ? match : (captures[n - 1] ?? "");
      }
      return groups[key] ?? "";
    };
    return template.replace(/\\(g<([^>]+)>|(\d{1,2})|n|t|r|\\)/g, (_all, _body, named: string, digits: string) => {
      if (named !== undefined) return group(named);
      if (digits !== undefined) return group(digits);
      const escape = _all[1];
      return escape === "n" ? "\n" : escape === "t" ? "\t" : escape === "r" ? "\r" : "\\";
    });
  };
}

/**
 * `string_replace`: replaces every occurrence of `search` with `replacement`. Without `useRegex` the match is
 * literal and case-insensitive; with it, `search` is a Python regular expression and `replacement` may use `\1`.
 */
export function replaceAll(text: string, search: string, replacement: string, useRegex: boolean): string {
  if (search === "") return text;
  const re = useRegex ? pythonRegExp(search) : new RegExp(escapeRegExp(search), "giu");
  return text.replace(re, useRegex ? pythonReplacement(replacement) : () => replacement);
}
