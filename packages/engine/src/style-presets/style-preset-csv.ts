import { StylePresetImportError } from "./style-preset-errors.js";
import type { PresetData } from "./style-preset-types.js";

/** The columns InvokeAI's export writes and its import reads. */
export const STYLE_PRESET_CSV_COLUMNS = ["name", "prompt", "negative_prompt"] as const;

/** One preset as a CSV row carries it. */
export interface StylePresetCsvRow {
  name: string;
  preset_data: PresetData;
}

// Python's csv.writer (QUOTE_MINIMAL): quote a field only when it holds the delimiter, a quote or a line break.
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes presets as CSV with the header `name,prompt,negative_prompt` and CRLF line ends, as Python's csv module. */
export function formatStylePresetCsv(rows: readonly StylePresetCsvRow[]): string {
  const lines = [STYLE_PRESET_CSV_COLUMNS.join(",")];
  for (const row of rows) {
    lines.push([row.name, row.preset_data.positive_prompt, row.preset_data.negative_prompt].map(csvField).join(","));
  }
  return lines.map((line) => `${line}\r\n`).join("");
}

/** Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") {
      quoted = true;
    } else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (quoted) throw new StylePresetImportError("the CSV ends inside a quoted field", { line: records.length + 1 });
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  // Blank lines carry no preset.
  return records.filter((r) => !(r.length === 1 && r[0].trim() === ""));
}

/**
 * Reads presets from CSV with a header row naming `name`, `prompt` (or `positive_prompt`) and optionally
 * `negative_prompt`, in any order; other columns are ignored. A row without a name is an error naming the row.
 */
export function parseStylePresetCsv(text: string): StylePresetCsvRow[] {
  const [header, ...rows] = parseCsvRecords(text);
  if (header === undefined) throw new StylePresetImportError("the CSV file is empty");
  const columns = header.map((h) => h.trim().toLowerCase());
  const nameAt = columns.indexOf("name");
  const promptAt = columns.indexOf("prompt") >= 0 ? columns.indexOf("prompt") : columns.indexOf("positive_prompt");
  const negativeAt = columns.indexOf("negative_prompt");
  if (nameAt < 0 || promptAt < 0) {
    throw new StylePresetImportError(
      `the CSV header must name the columns ${STYLE_PRESET_CSV_COLUMNS.join(", ")} (found: ${header.join(", ")})`,
      { columns: header },
    );
  }
  return rows.map((fields, index) => {
    const name = (fields[nameAt] ?? "").trim();
    if (name === "") throw new StylePresetImportError(`row ${index + 1} has no name`, { row: index + 1 });
    return {
      name,
      preset_data: {
        positive_prompt: (fields[promptAt] ?? "").trim(),
        negative_prompt: negativeAt < 0 ? "" : (fields[negativeAt] ?? "").trim(),
      },
    };
  });
}
