/** One entry of tokenizer.json's `added_tokens`. */
export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly normalized: boolean;
}

/** A run of input text: either plain text for the model, or an added token already resolved to its id. */
export type TextSegment =
  { readonly kind: "text"; readonly text: string } | { readonly kind: "token"; readonly id: number };

/**
 * Splits raw text on the added tokens the way Hugging Face's AddedVocabulary does for tokens that are matched
 * before normalization: leftmost match first, the longest token when several start at the same place.
 */
export function splitOnAddedTokens(text: string, tokens: readonly AddedToken[]): TextSegment[] {
  const candidates = tokens.filter((t) => t.content.length > 0).sort((a, b) => b.content.length - a.content.length);
  const segments: TextSegment[] = [];
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    const hit = candidates.find((t) => text.startsWith(t.content, i));
    if (hit === undefined) {
      i++;
      continue;
    }
    if (i > textStart) segments.push({ kind: "text", text: text.slice(textStart, i) });
    segments.push({ kind: "token", id: hit.id });
    i += hit.content.length;
    textStart = i;
  }
  if (textStart < text.length) segments.push({ kind: "text", text: text.slice(textStart) });
  return segments;
}

/** Reads and checks tokenizer.json's `added_tokens` list. */
export function parseAddedTokens(raw: unknown): AddedToken[] {
  if (!Array.isArray(raw)) return [];
  const out: AddedToken[] = [];
  for (const entry of raw) {
    if (typeof entry !== "object" || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.id !== "number" || typeof e.content !== "string") continue;
    out.push({ id: e.id, content: e.content, special: e.special === true, normalized: e.normalized === true });
  }
  return out;
}
