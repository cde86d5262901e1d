/**
 * A sentencepiece unigram model (tokenizer.json `Unigram`): the segmentation of each piece with the highest total
 * log-probability, found by Viterbi over the vocabulary's pieces; characters no piece covers become `<unk>` with
 * the score (lowest score − 10), and runs of them are fused into one `<unk>`, as Hugging Face tokenizers does.
 */
const UNK_PENALTY = 10;

/** Vocabulary entry: piece and its log-probability. */
export type UnigramPiece = readonly [piece: string, score: number];

export class UnigramModel {
  private readonly pieces = new Map<string, { id: number; score: number }>();
  private readonly maxPieceChars: number;
  private readonly unkScore: number;

  constructor(
    vocab: readonly UnigramPiece[],
    private readonly unkId: number,
    private readonly fuseUnk = true,
  ) {
    let minScore = Number.POSITIVE_INFINITY;
    let maxChars = 1;
    vocab.forEach(([piece, score], id) => {
      if (!this.pieces.has(piece)) this.pieces.set(piece, { id, score });
      minScore = Math.min(minScore, score);
      maxChars = Math.max(maxChars, [...piece].length);
    });
    this.maxPieceChars = maxChars;
    this.unkScore = minScore - UNK_PENALTY;
  }

  /** Token ids of one pre-tokenized piece. */
  encode(text: string): number[] {
    const chars = [...text];
    const n = chars.length;
    if (n === 0) return [];
    // best[i]: best path covering chars[0, i). Candidates are visited start by start, shortest piece first, and
    // only a strictly better score replaces a node, which fixes the tie-breaking to the reference one.
    const bestScore = new Float64Array(n + 1);
    const bestStart = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1);
    bestStart[0] = 0;
    for (let start = 0; start < n; start++) {
      if (bestStart[start] < 0 && start !== 0) continue;
      const base = bestScore[start];
      let hasSingle = false;
      let piece = "";
      for (let len = 1; len <= this.maxPieceChars && start + len <= n; len++) {
        piece += chars[start + len - 1];
        const hit = this.pieces.get(piece);
        if (hit === undefined) continue;
        const end = start + len;
        const score = base + hit.score;
        if (bestStart[end] < 0 || score > bestScore[end]) {
          bestScore[end] = score;
          bestStart[end] = start;
          bestId[end] = hit.id;
        }
        if (len === 1) hasSingle = true;
      }
      if (!hasSingle) {
        const end = start + 1;
        const score = base + this.unkScore;
        if (bestStart[end] < 0 || score > bestScore[end]) {
          bestScore[end] = score;
          bestStart[end] = start;
          bestId[end] = this.unkId;
        }
      }
    }
    const reversed: number[] = [];
    for (let end = n; end > 0; end = bestStart[end]) {
      const id = bestId[end];
      if (this.fuseUnk && id === this.unkId && reversed.length > 0 && reversed[reversed.length - 1] === this.unkId)
        continue;
      reversed.push(id);
    }
    return reversed.reverse();
  }
}
