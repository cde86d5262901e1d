import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TextTokenizer } from "./text-tokenizer.js";
import { TokenizerLoadError } from "./tokenizer-errors.js";

/** Loads a tokenizer folder (`tokenizer.json`, and `tokenizer_config.json` / `special_tokens_map.json` if present). */
export async function loadTokenizer(folder: string): Promise<TextTokenizer> {
  const tokenizerPath = join(folder, "tokenizer.json");
  const tokenizerJson = await readJson(tokenizerPath, true);
  const tokenizerConfig = await readJson(join(folder, "tokenizer_config.json"), false);
  const specialTokensMap = await readJson(join(folder, "special_tokens_map.json"), false);
  return TextTokenizer.fromJson(tokenizerJson, { tokenizerConfig, specialTokensMap }, tokenizerPath);
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TokenizerLoadError(`Cannot read ${path}`, { path }, cause);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new TokenizerLoadError(`${path} is not valid JSON`, { path }, cause);
  }
}
