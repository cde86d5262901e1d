/**
 * Compel's prompt syntax (the `compel` package InvokeAI parses every SD prompt with), parsed into the flattened
 * structure Compel builds conditioning from: a conjunction of prompts or blends, each prompt a list of text
 * fragments with weights.
 *
 * What the syntax means (Compel's grammar, reproduced rule by rule):
 * - `word+` / `word-` multiply the word's weight by 1.1 / 0.9 per sign (`word++` = 1.1²); on a single word only
 *   signs are allowed, no numbers, and no space between the word and the signs.
 * - `(several words)+`, `(several words)-`, `(several words)1.3`, `"quoted words"0.8`: the same for a group; numbers
 *   are plain decimals (`1.2`, `.5`, `2`). Groups nest and weights multiply: `(a (b)1.3)1.1` gives b 1.43.
 * - `(words)` with no weight is only grouping (weight 1), and `target.attend(w)` is the explicit form.
 * - `\(` `\)` `\"` are literal characters. A word glued to a parenthesis (`foo(bar)`) is plain text.
 * - `("a", "b").blend(1, 0.8)`: a weighted mix of whole prompts (weights normalised unless `no_normalize`).
 * - `("a", "b").and()` / `.and(1, 0.5)`: prompts encoded separately and concatenated along the token axis.
 * - `target.swap(replacement)` (cross-attention control): InvokeAI conditions on the original text only.
 * - `useLora(name, w)` / `withLora(...)`: dropped from the text (InvokeAI ignores them).
 * - `[word]` is not Compel syntax: Compel (so InvokeAI) passes square brackets through as text, and so do we.
 * Adjacent fragments with equal weights are joined with single spaces, as Compel's flattening does.
 */
import { AtelierError } from "@atelier/core";

/** A run of prompt text with its weight (1 = unweighted). */
export interface PromptFragment {
  readonly text: string;
  readonly weight: number;
}

/** A prompt flattened to weighted fragments. */
export interface FlatPrompt {
  readonly kind: "prompt";
  readonly fragments: readonly PromptFragment[];
}

/** `(…).blend(…)`: prompts mixed by weight. */
export interface PromptBlend {
  readonly kind: "blend";
  readonly prompts: readonly FlatPrompt[];
  readonly weights: readonly number[];
  /** Divide by the sum of the weights (Compel's default; `no_normalize` turns it off). */
  readonly normalize: boolean;
}

/** The parsed prompt: parts encoded separately and concatenated (one part unless `.and()` was used). */
export interface PromptConjunction {
  readonly prompts: readonly (FlatPrompt | PromptBlend)[];
  readonly weights: readonly number[];
}

/** A prompt Compel's grammar rejects (e.g. a blend followed by more text, or weight counts that do not match). */
export class PromptSyntaxError extends AtelierError {
  constructor(prompt: string, problem: string) {
    super("prompt_syntax_invalid", `Prompt ${JSON.stringify(prompt)}: ${problem}`, {
      status: 422,
      details: { prompt },
    });
  }
}

type Node =
  | { readonly kind: "fragment"; readonly text: string; readonly weight: number }
  | { readonly kind: "attention"; readonly weight: number; readonly children: readonly Node[] }
  | { readonly kind: "swap"; readonly original: readonly Node[] }
  | { readonly kind: "lora" };

interface Parsed<T> {
  readonly value: T;
  readonly end: number;
}

interface OptionItem {
  readonly key: string | null;
  readonly value: string;
  readonly isNumber: boolean;
}

const SYNTAX_CHARS = '()",.+-=';
const PLUS_BASE = 1.1;
const MINUS_BASE = 0.9;

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isSyntax = (c: string | undefined): boolean => c !== undefined && SYNTAX_CHARS.includes(c);

// Compel's Fragment turns the escaped parentheses and quote back into plain characters.
function unescapeText(text: string): string {
  return text.replaceAll("\\(", "(").replaceAll("\\)", ")").replaceAll('\\"', '"');
}

const fragment = (text: string, weight = 1): Node => ({ kind: "fragment", text: unescapeText(text), weight });

class CompelPromptParser {
  constructor(private readonly s: string) {}

  skip(pos: number): number {
    let p = pos;
    while (p < this.s.length && isSpace(this.s[p])) p++;
    return p;
  }

  literal(pos: number, text: string): number | null {
    const p = this.skip(pos);
    return this.s.startsWith(text, p) ? p + text.length : null;
  }

  /** A word without syntax characters (escaped ones and inner `+`/`-` as in `well-known` allowed). */
  word(pos: number): Parsed<string> | null {
    const s = this.s;
    let p = pos;
    while (p < s.length) {
      const c = s[p] as string;
      const next = s[p + 1];
      if (c === "\\" && isSyntax(next)) p += 2;
      else if ((c === "+" || c === "-") && next !== undefined && !isSpace(next) && !isSyntax(next)) p += 1;
      else if (!isSpace(c) && !isSyntax(c)) p += 1;
      else break;
    }
    return p > pos ? { value: s.slice(pos, p), end: p } : null;
  }

  number(pos: number): Parsed<number> | null {
    const rest = this.s.slice(pos);
    const m = /^[+-]?(?:\d+\.\d*|\.\d+)/.exec(rest) ?? /^-?\d+/.exec(rest);
    return m === null ? null : { value: Number(m[0]), end: pos + m[0].length };
  }

  /** `+++`, `--` or a number, right at `pos`. */
  weightOperator(pos: number, allowNumber: boolean): Parsed<number> | null {
    const c = this.s[pos];
    if (c === "+" || c === "-") {
      let p = pos;
      while (this.s[p] === c) p++;
      return { value: Math.pow(c === "+" ? PLUS_BASE : MINUS_BASE, p - pos), end: p };
    }
    return allowNumber ? this.number(pos) : null;
  }

  parenthesized(pos: number): Parsed<Node[]> | null {
    if (this.s[pos] !== "(") return null;
    const inner = this.fragmentList(pos + 1, true);
    const close = this.skip(inner.end);
    return this.s[close] === ")" ? { value: inner.value, end: close + 1 } : null;
  }

  /** A double-quoted run (`\"` inside is a quote), parsed as fragments; null when its content does not parse. */
  quoted(pos: number, asPrompt: boolean): Parsed<Node[]> | null {
    if (this.s[pos] !== '"') return null;
    let p = pos + 1;
    while (p < this.s.length && this.s[p] !== '"') {
      if (this.s[p] === "\n" || this.s[p] === "\r") return null;
      p += this.s[p] === "\\" && this.s[p + 1] === '"' ? 2 : 1;
    }
    if (p >= this.s.length) return null;
    const content = this.s.slice(pos + 1, p);
    if (content.trim() === "") return { value: [fragment("")], end: p + 1 };
    const inner = new CompelPromptParser(content);
    if (asPrompt) return { value: inner.promptItems(0), end: p + 1 };
    const parsed = inner.fragmentList(0, true);
    return inner.skip(parsed.end) === content.length ? { value: parsed.value, end: p + 1 } : null;
  }

  /** What `.attend`, `.swap`, `.blend` and `.and` can apply to: a quoted run, a group or a single word. */
  operatorTarget(pos: number): Parsed<Node[]> | null {
    const group = this.quoted(pos, false) ?? this.parenthesized(pos);
    if (group !== null) return group;
    const w = this.word(pos);
    return w === null ? null : { value: [fragment(w.value)], end: w.end };
  }

  attention(pos: number): Parsed<Node> | null {
    const target = this.operatorTarget(pos);
    if (target === null) return null;
    const attend = this.literal(target.end, ".attend");
    if (attend !== null) {
      const open = this.literal(attend, "(");
      const op = open === null ? null : this.weightOperator(this.skip(open), true);
      const close = op === null ? null : this.literal(op.end, ")");
      if (op !== null && close !== null)
        return { value: { kind: "attention", weight: op.value, children: target.value }, end: close };
    }
    // Implicit form: no space between the target and its weight; bare words take only +/- signs.
    const isGroup = this.s[pos] === "(" || this.s[pos] === '"';
    const op = this.weightOperator(target.end, isGroup);
    if (op === null) return null;
    return { value: { kind: "attention", weight: op.value, children: target.value }, end: op.end };
  }

  swap(pos: number): Parsed<Node> | null {
    const target = this.operatorTarget(pos);
    if (target === null) return null;
    const op = this.literal(target.end, ".swap");
    const open = op === null ? null : this.literal(op, "(");
    if (open === null) return null;
    const replacement = this.fragmentList(open, false);
    let p = replacement.end;
    const comma = this.literal(p, ",");
    if (comma !== null) p = this.options(comma).end;
    const close = this.literal(p, ")");
    return close === null ? null : { value: { kind: "swap", original: target.value }, end: close };
  }

  lora(pos: number): Parsed<Node> | null {
    const trigger = ["useLora", "withLora"].find((t) => this.s.startsWith(t, pos));
    if (trigger === undefined) return null;
    const open = this.literal(pos + trigger.length, "(");
    const name = open === null ? null : /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.skip(open)));
    if (open === null || name === null) return null;
    let p = this.skip(open) + name[0].length;
    const comma = this.literal(p, ",");
    if (comma !== null) {
      const weight = this.number(this.skip(comma));
      if (weight !== null) p = weight.end;
    }
    const close = this.literal(p, ")");
    return close === null ? null : { value: { kind: "lora" }, end: close };
  }

  /** Fragments inside a group or quotes (commas and periods allowed when `allowPunctuation`). */
  fragmentList(pos: number, allowPunctuation: boolean): Parsed<Node[]> {
    const nodes: Node[] = [];
    let p = pos;
    for (;;) {
      const at = this.skip(p);
      const single = this.lora(at) ?? this.attention(at) ?? this.swap(at);
      if (single !== null) {
        nodes.push(single.value);
        p = single.end;
        continue;
      }
      const group = this.parenthesized(at) ?? this.quoted(at, false);
      if (group !== null) {
        nodes.push(...group.value);
        p = group.end;
        continue;
      }
      const w = this.word(at);
      if (w !== null) {
        nodes.push(fragment(w.value));
        p = w.end;
        continue;
      }
      const c = this.s[at];
      if (allowPunctuation && (c === "," || c === ".")) {
        nodes.push(fragment(c));
        p = at + 1;
        continue;
      }
      return { value: nodes, end: p };
    }
  }

  /** A whole prompt from `pos` to the end: anything that is not syntax is plain text. */
  promptItems(pos: number): Node[] {
    const nodes: Node[] = [];
    let p = this.skip(pos);
    while (p < this.s.length) {
      const single = this.swap(p) ?? this.lora(p) ?? this.attention(p);
      const group = single === null ? (this.quoted(p, false) ?? this.parenthesized(p)) : null;
      if (single !== null) {
        nodes.push(single.value);
        p = single.end;
      } else if (group !== null) {
        nodes.push(...group.value);
        p = group.end;
      } else {
        let end = p;
        while (end < this.s.length && !isSpace(this.s[end])) end++;
        nodes.push(fragment(this.s.slice(p, end)));
        p = end;
      }
      p = this.skip(p);
    }
    return nodes;
  }

  /** `1, 0.5, no_normalize, key=value`: up to (not including) the closing parenthesis. */
  options(pos: number): Parsed<OptionItem[]> {
    const items: OptionItem[] = [];
    let p = pos;
    for (;;) {
      const at = this.skip(p);
      const rest = this.s.slice(at);
      const keyValue = /^([A-Za-z0-9_-]+)\s*=\s*([^,)\s]+)/.exec(rest);
      const num = keyValue === null ? this.number(at) : null;
      const flag = keyValue === null && num === null ? /^[A-Za-z0-9_-]+/.exec(rest) : null;
      if (keyValue !== null) {
        items.push({ key: keyValue[1] as string, value: keyValue[2] as string, isNumber: false });
        p = at + keyValue[0].length;
      } else if (num !== null) {
        items.push({ key: null, value: this.s.slice(at, num.end), isNumber: true });
        p = num.end;
      } else if (flag !== null) {
        items.push({ key: null, value: flag[0], isNumber: false });
        p = at + flag[0].length;
      } else return { value: items, end: p };
      const comma = this.literal(p, ",");
      if (comma === null) return { value: items, end: p };
      p = comma;
    }
  }

  /** `(target, target, …).op(options)` at `pos`, for `.blend` and `.and`/`.add`. */
  operatorCall(pos: number, ops: readonly string[]): Parsed<{ targets: Node[][]; options: OptionItem[] }> | null {
    const open = this.literal(pos, "(");
    if (open === null) return null;
    const targets: Node[][] = [];
    let p = open;
    for (;;) {
      const at = this.skip(p);
      const target = this.operatorTarget(at) ?? this.quoted(at, true);
      if (target === null) return null;
      targets.push(target.value);
      p = target.end;
      const comma = this.literal(p, ",");
      if (comma === null) break;
      p = comma;
    }
    const close = this.literal(p, ")");
    if (close === null) return null;
    const opStart = this.skip(close);
    const op = ops.find((o) => this.s.startsWith(o, opStart));
    const argsOpen = op === undefined ? null : this.literal(opStart + op.length, "(");
    if (argsOpen === null) return null;
    const options = this.options(argsOpen);
    const argsClose = this.literal(options.end, ")");
    return argsClose === null ? null : { value: { targets, options: options.value }, end: argsClose };
  }

  leadingLoras(pos: number): number {
    let p = this.skip(pos);
    for (let l = this.lora(p); l !== null; l = this.lora(p)) p = this.skip(l.end);
    return p;
  }
}

function flattenNodes(nodes: readonly Node[], scale: number, out: PromptFragment[]): void {
  for (const node of nodes) {
    if (node.kind === "fragment") out.push({ text: node.text, weight: node.weight * scale });
    else if (node.kind === "attention") flattenNodes(node.children, scale * node.weight, out);
    else if (node.kind === "swap") flattenNodes(node.original, scale, out);
  }
}

/** Flattens nodes into a prompt, joining neighbours of equal weight; null when nothing is left. */
function flatPrompt(nodes: readonly Node[]): FlatPrompt | null {
  const flat: PromptFragment[] = [];
  flattenNodes(nodes, 1, flat);
  const fused: PromptFragment[] = [];
  for (const f of flat) {
    const last = fused[fused.length - 1];
    if (last !== undefined && last.weight === f.weight)
      fused[fused.length - 1] = { ...last, text: `${last.text} ${f.text}` };
    else fused.push(f);
  }
  return fused.length === 0 ? null : { kind: "prompt", fragments: fused };
}

function optionWeights(prompt: string, options: readonly OptionItem[], count: number, what: string): number[] {
  const numbers = options.filter((o) => o.isNumber).map((o) => Number(o.value));
  if (numbers.length === 0) return Array<number>(count).fill(1);
  if (numbers.length !== count) {
    throw new PromptSyntaxError(prompt, `${what} has ${count} prompts but ${numbers.length} weights`);
  }
  return numbers;
}

const EMPTY_CONJUNCTION: PromptConjunction = {
  prompts: [{ kind: "prompt", fragments: [{ text: "", weight: 1 }] }],
  weights: [1],
};

/** Parses a prompt in Compel's syntax into the conjunction Compel encodes (see the module comment for the rules). */
export function parseCompelPrompt(prompt: string): PromptConjunction {
  if (prompt.trim() === "") return EMPTY_CONJUNCTION;
  const parser = new CompelPromptParser(prompt);
  const start = parser.skip(0);

  const conjunction = parser.operatorCall(start, [".and", ".add"]);
  if (conjunction !== null) {
    const { targets, options } = conjunction.value;
    const weights = optionWeights(prompt, options, targets.length, ".and()");
    const prompts: FlatPrompt[] = [];
    const kept: number[] = [];
    targets.forEach((t, i) => {
      const flat = flatPrompt(t);
      if (flat !== null) {
        prompts.push(flat);
        kept.push(weights[i] as number);
      }
    });
    return prompts.length === 0 ? EMPTY_CONJUNCTION : { prompts, weights: kept };
  }

  const body = parser.leadingLoras(start);
  const blend = parser.operatorCall(body, [".blend"]);
  if (blend !== null) {
    if (parser.skip(parser.leadingLoras(blend.end)) !== prompt.length) {
      throw new PromptSyntaxError(prompt, "text after .blend(...) is not allowed");
    }
    const { targets, options } = blend.value;
    const normalize = !options.some((o) => !o.isNumber && o.key === null && o.value === "no_normalize");
    const prompts = targets.map((t) => flatPrompt(t));
    if (prompts.some((p) => p === null)) throw new PromptSyntaxError(prompt, ".blend() of an empty prompt");
    const weights = optionWeights(prompt, options, targets.length, ".blend()");
    return { prompts: [{ kind: "blend", prompts: prompts as FlatPrompt[], weights, normalize }], weights: [1] };
  }
  const flat = flatPrompt(parser.promptItems(body));
  return flat === null ? EMPTY_CONJUNCTION : { prompts: [flat], weights: [1] };
}
