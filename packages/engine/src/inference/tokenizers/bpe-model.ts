/**
 * A BPE model (vocab + ranked merges) as tokenizer.json stores it, applied to one pre-tokenized word:
 * the lowest-ranked adjacent pair is merged until no ranked pair is left.
 */
export class BpeModel {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
    private readonly unkId: number | undefined,
    private readonly endOfWordSuffix: string,
  ) {
    merges.forEach(([a, b], rank) => {
      // A pair can be listed twice in a hand-made file; the first (lowest) rank wins, as in tokenizers.
      const key = pairKey(a, b);
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /** Token ids of one word given as its initial symbols (already byte-mapped). */
  encodeWord(symbols: readonly string[]): number[] {
    if (symbols.length === 0) return [];
    const cacheKey = symbols.join("\u0000");
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const parts = [...symbols];
    parts[parts.length - 1] += this.endOfWordSuffix;
    for (;;) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestAt = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = this.ranks.get(pairKey(parts[i], parts[i + 1]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      const left = parts[bestAt];
      const right = parts[bestAt + 1];
      // Merge every occurrence of the best pair, left to right, in one pass (GPT-2's rule).
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === left && parts[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(parts[i]);
        }
      }
      parts.length = 0;
      parts.push(...merged);
    }
    const ids: number[] = [];
    for (const part of parts) {
      const id = this.vocab.get(part);
      if (id !== undefined) ids.push(id);
      else if (this.unkId !== undefined) ids.push(this.unkId);
    }
    if (this.cache.size < 10_000) this.cache.set(cacheKey, ids);
    return ids;
  }
}

function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
