/**
 * The Unicode White_Space set, which Rust's `\s` (used by Hugging Face tokenizers) means. JavaScript's `\s`
 * differs: it adds U+FEFF and lacks U+0085, so patterns from tokenizer.json are rewritten with this set.
 */
export const UNICODE_WHITESPACE_CLASS_BODY =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Rewrites a Rust-regex pattern so that `\s` means Unicode White_Space in a JavaScript `u` regex. */
export function toJsUnicodePattern(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\" && i + 1 < pattern.length) {
      const next = pattern[i + 1];
      if (next === "s") out += inClass ? UNICODE_WHITESPACE_CLASS_BODY : `[${UNICODE_WHITESPACE_CLASS_BODY}]`;
      else if (next === "S") out += inClass ? "" : `[^${UNICODE_WHITESPACE_CLASS_BODY}]`;
      else out += ch + next;
      i++;
      continue;
    }
    if (ch === "[" && !inClass) inClass = true;
    else if (ch === "]" && inClass) inClass = false;
    out += ch;
  }
  return out;
}

const WHITESPACE_CHAR = new RegExp(`^[${UNICODE_WHITESPACE_CLASS_BODY}]$`, "u");

/** Whether one code point is Unicode White_Space (Rust's `char::is_whitespace`). */
export function isUnicodeWhitespace(ch: string): boolean {
  return WHITESPACE_CHAR.test(ch);
}
