/**
 * The line selection of InvokeAI's `prompt_from_file` node, as a pure function over the file's text.
 */

/** Options of {@link promptsFromText}, in the node's field names. */
export interface PromptsFromFileOptions {
  readonly pre_prompt: string | null;
  readonly post_prompt: string | null;
  /** 1-based first line. */
  readonly start_line: number;
  /** Lines to read; 0 (or less) means all. */
  readonly max_prompts: number;
}

/**
 * Lines `start_line`.. of the text (at most `max_prompts`, all when 0), each stripped of surrounding whitespace and
 * wrapped in pre/post prompt. Blank lines are kept (they become `pre + post`), as InvokeAI keeps them. Line breaks
 * are `\n`, `\r\n` or `\r` (Python's universal newlines); a final line break does not start another line.
 */
export function promptsFromText(text: string, o: PromptsFromFileOptions): string[] {
  const normalized = text.replace(/\r\n?/g, "\n");
  const lines = normalized.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const start = Math.max(0, o.start_line - 1);
  const end = o.max_prompts <= 0 ? lines.length : start + o.max_prompts;
  const pre = o.pre_prompt ?? "";
  const post = o.post_prompt ?? "";
  return lines.slice(start, end).map((line) => pre + pythonStrip(line) + post);
}

// The characters Python's str.isspace() accepts (and thus str.strip() removes).
const PY_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `str.strip()` with no argument. */
function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.has(s.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}
