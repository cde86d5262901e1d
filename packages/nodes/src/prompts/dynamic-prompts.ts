/**
 * The dynamicprompts template syntax (the Python `dynamicprompts` library that InvokeAI's `dynamic_prompt` node calls):
 *
 * - variants `{a|b|c}`, nested freely (`{a {x|y}|b}`), an empty option allowed (`{|red|blue}`);
 * - counts `{2$$a|b|c}`, ranges `{1-3$$…}`, `{-2$$…}` (1..2), `{2-$$…}` (2..all);
 * - custom joiners `{2$$ and $$a|b|c}` (default `,`);
 * - weights `{0.5::a|2::b}` (random sampling only; combinatorial ignores them, like the library);
 * - per-variant sampling prefixes `~` (random), `!` (combinatorial), `@` (cyclical);
 * - comments `# …`, `// …` and `/* … *\/` where a chunk starts, as the library's parser ignores them.
 *
 * Out of scope, stated plainly: wildcards (`__name__` stays literal text — InvokeAI configures no wildcard folder, so
 * the library would print it back unchanged too, though it repeats it forever in combinatorial mode where we emit it
 * once), variables `${…}`, wrap `%{…}`, conditionals `?{…}` and prefix/suffix bounds (`p=`/`s=`).
 *
 * Extension: `\{ \} \| \$ \#` are escapes for the literal character (the library has no escapes and rejects such
 * prompts). A lone `$` outside a variant is kept as text (the library raises a parse error there); inside a variant
 * option an unescaped `$` is an error, as in the library.
 *
 * Random generation replays the library's algorithm on {@link PythonRandom}, a bit-exact port of CPython's
 * `random.Random`: the same seed gives the same prompts as `RandomPromptGenerator(seed=…)` for the syntax above.
 * InvokeAI's node passes no seed; Atelier's node draws one per run.
 */
import { AtelierError } from "@atelier/core";
import { PythonRandom } from "../math/python-random.js";

/** How a variant is sampled. */
export type SamplingMethod = "combinatorial" | "random" | "cyclical";

/** Plain text. */
export interface LiteralCommand {
  readonly kind: "literal";
  readonly text: string;
}

/** Chunks joined without a separator. */
export interface SequenceCommand {
  readonly kind: "sequence";
  readonly items: readonly PromptCommand[];
}

/** One option of a variant. */
export interface VariantOption {
  readonly value: PromptCommand;
  readonly weight: number;
}

/** `{…|…}` with its bounds, joiner and optional sampling prefix. */
export interface VariantCommand {
  readonly kind: "variant";
  readonly options: readonly VariantOption[];
  readonly minBound: number;
  readonly maxBound: number;
  readonly separator: string;
  readonly sampling: SamplingMethod | null;
}

/** A parsed template. */
export type PromptCommand = LiteralCommand | SequenceCommand | VariantCommand;

/** The template cannot be parsed; `details.position` is the 0-based character offset. */
export class DynamicPromptSyntaxError extends AtelierError {
  constructor(message: string, prompt: string, position: number) {
    super("dynamic_prompt_syntax", `${message} at position ${position} of the prompt`, {
      status: 422,
      details: { position, near: prompt.slice(Math.max(0, position - 10), position + 10) },
    });
  }
}

/** Generation could not proceed (bad weights, a limit). */
export class DynamicPromptError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("dynamic_prompt_invalid", message, { status: 422, details });
  }
}

const ESCAPABLE = new Set(["{", "}", "|", "$", "#"]);
const SAMPLER_SYMBOLS: Readonly<Record<string, SamplingMethod>> = {
  "~": "random",
  "!": "combinatorial",
  "@": "cyclical",
};
const BOUND_RE = /(?:(\d+)-(\d+)|-(\d+)|(\d+)-|(\d+))\$\$/y;
const SEPARATOR_RE = /(?!p=|s=)([^${}]+)\$\$/y;
const WEIGHT_RE = /([+-]?(?:\d+\.\d*|\.\d+)|\d+)::/y;

/** Parses a template into commands; throws {@link DynamicPromptSyntaxError}. */
export function parseDynamicPrompt(prompt: string): PromptCommand {
  return new Parser(prompt).parseTop();
}

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parseTop(): PromptCommand {
    const result = this.parseSequence(false);
    if (this.pos < this.src.length) this.fail(`Unexpected '${this.src[this.pos]}'`);
    return result;
  }

  private fail(message: string, at = this.pos): never {
    throw new DynamicPromptSyntaxError(message, this.src, at);
  }

  /** Skips comments that start at a chunk boundary; whitespace before a comment goes with it, as in pyparsing. */
  private skipComments(): void {
    for (;;) {
      let p = this.pos;
      while (p < this.src.length && /\s/.test(this.src[p])) p++;
      if (this.src.startsWith("#", p) || this.src.startsWith("//", p)) {
        const nl = this.src.indexOf("\n", p);
        this.pos = nl === -1 ? this.src.length : nl;
      } else if (this.src.startsWith("/*", p)) {
        const end = this.src.indexOf("*/", p + 2);
        if (end === -1) return;
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private parseSequence(inVariant: boolean): PromptCommand {
    const items: PromptCommand[] = [];
    for (;;) {
      this.skipComments();
      if (this.pos >= this.src.length) break;
      const c = this.src[this.pos];
      if (c === "{") {
        items.push(this.parseVariant());
        continue;
      }
      if (inVariant && (c === "|" || c === "}")) break;
      if (inVariant && c === "$") this.fail("Unexpected '$' inside a variant (escape it as \\$)");
      items.push({ kind: "literal", text: this.readLiteralSequence(inVariant) });
    }
    if (items.length === 1) return items[0];
    return { kind: "sequence", items };
  }

  /** Literal runs separated only by comments become one literal joined by a space (pyparsing's OneOrMore join). */
  private readLiteralSequence(inVariant: boolean): string {
    let text = this.readLiteralRun(inVariant);
    for (;;) {
      const before = this.pos;
      this.skipComments();
      if (this.pos === before || !this.startsLiteral(inVariant)) return text;
      text += " " + this.readLiteralRun(inVariant);
    }
  }

  private startsLiteral(inVariant: boolean): boolean {
    const c = this.src[this.pos];
    if (c === undefined || c === "{" || c === "#") return false;
    return !(inVariant && (c === "|" || c === "}" || c === "$"));
  }

  /** Reads text up to the next syntax character; outside variants `}`, `|` and `$` are plain text. */
  private readLiteralRun(inVariant: boolean): string {
    let out = "";
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === "\\" && ESCAPABLE.has(this.src[this.pos + 1])) {
        out += this.src[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === "{" || c === "#") break;
      if (inVariant && (c === "|" || c === "}" || c === "$")) break;
      out += c;
      this.pos++;
    }
    return out;
  }

  private parseVariant(): VariantCommand {
    const open = this.pos;
    this.pos++; // "{"
    this.skipWhitespace();
    let sampling: SamplingMethod | null = null;
    const symbol = SAMPLER_SYMBOLS[this.src[this.pos]];
    if (symbol) {
      sampling = symbol;
      this.pos++;
    }
    let bound: { lower?: number; upper?: number; exact?: number } | null = null;
    let separator = ",";
    BOUND_RE.lastIndex = this.pos;
    const b = BOUND_RE.exec(this.src);
    if (b) {
      if (b[1] !== undefined) bound = { lower: Number(b[1]), upper: Number(b[2]) };
      else if (b[3] !== undefined) bound = { upper: Number(b[3]) };
      else if (b[4] !== undefined) bound = { lower: Number(b[4]) };
      else bound = { exact: Number(b[5]) };
      this.pos = BOUND_RE.lastIndex;
      SEPARATOR_RE.lastIndex = this.pos;
      const s = SEPARATOR_RE.exec(this.src);
      if (s) {
        separator = s[1];
        this.pos = SEPARATOR_RE.lastIndex;
      }
    }
    this.skipWhitespace();
    const options: VariantOption[] = [];
    for (;;) {
      this.skipWhitespace();
      let weight = 1;
      WEIGHT_RE.lastIndex = this.pos;
      const w = WEIGHT_RE.exec(this.src);
      if (w) {
        weight = Number(w[1]);
        this.pos = WEIGHT_RE.lastIndex;
      }
      options.push({ value: this.parseSequence(true), weight });
      const c = this.src[this.pos];
      if (c === "|") {
        this.pos++;
        continue;
      }
      if (c === "}") {
        this.pos++;
        break;
      }
      this.fail("Unclosed '{' (missing '}')", open);
    }
    let minBound = 1;
    let maxBound = 1;
    if (bound) {
      minBound = bound.exact ?? bound.lower ?? 1;
      maxBound = bound.exact ?? bound.upper ?? options.length;
    }
    // The library sorts the two bounds and clamps the lower one at zero; the upper one is clamped when sampling.
    const lo = Math.max(0, Math.min(minBound, maxBound));
    const hi = Math.max(minBound, maxBound);
    return { kind: "variant", options, minBound: lo, maxBound: hi, separator, sampling };
  }

  private skipWhitespace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sampling: generators that mirror the library's samplers, in the same order of random draws.

interface SamplingContext {
  readonly method: SamplingMethod;
  readonly rand: PythonRandom;
}

const isNonFinite = (m: SamplingMethod): boolean => m !== "combinatorial";

/** Structural identity of a command, the equality the library's dataclasses use when removing picked options. */
const commandKey = (c: PromptCommand): string => JSON.stringify(c);

function effectiveMethod(c: PromptCommand, ctx: SamplingContext): SamplingMethod {
  return c.kind === "variant" && c.sampling ? c.sampling : ctx.method;
}

function generatorFrom(c: PromptCommand, ctx: SamplingContext): Generator<string> {
  let method = effectiveMethod(c, ctx);
  // A finite method cannot nest inside a non-finite context; the library warns and keeps the outer method.
  if (method !== ctx.method && isNonFinite(ctx.method) && !isNonFinite(method)) method = ctx.method;
  const sub = method === ctx.method ? ctx : { ...ctx, method };
  switch (method) {
    case "combinatorial":
      return combinatorial(c, sub);
    case "random":
      return randomSampler(c, sub);
    default:
      return cyclical(c, sub);
  }
}

function* combinatorial(c: PromptCommand, ctx: SamplingContext): Generator<string> {
  if (c.kind === "literal") {
    yield c.text;
    return;
  }
  if (c.kind === "sequence") {
    yield* combinatorialSequence(c.items, ctx);
    return;
  }
  if (c.options.length === 0) return;
  const values = c.options.map((o) => o.value);
  const min = Math.min(c.minBound, values.length);
  const max = Math.min(c.maxBound, values.length);
  const seen = new Set<string>();
  for (let bound = min; bound <= max; bound++) {
    for (const combo of valueCombinations(bound, values)) {
      for (const arr of comboToPrompt(combo, ctx)) {
        const deduped = [...new Set(arr)];
        const key = JSON.stringify(deduped);
        if (deduped.length === bound && !seen.has(key)) {
          seen.add(key);
          yield deduped.join(c.separator);
        }
      }
    }
  }
}

/** Ordered picks of k distinct options; picking one removes every structurally equal option, as the library does. */
function* valueCombinations(k: number, values: readonly PromptCommand[]): Generator<PromptCommand[]> {
  if (k <= 0) {
    yield [];
    return;
  }
  for (const value of values) {
    const key = commandKey(value);
    const others = values.filter((v) => commandKey(v) !== key);
    for (const rest of valueCombinations(k - 1, others)) yield [value, ...rest];
  }
}

function* comboToPrompt(combo: readonly PromptCommand[], ctx: SamplingContext): Generator<string[]> {
  if (combo.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = combo;
  const gen = generatorFrom(first, ctx);
  if (isNonFinite(effectiveMethod(first, ctx))) {
    for (const restPrompt of comboToPrompt(rest, ctx)) {
      const next = gen.next();
      if (next.done) return;
      yield [next.value, ...restPrompt];
    }
  } else {
    for (const p of gen) for (const restPrompt of comboToPrompt(rest, ctx)) yield [p, ...restPrompt];
  }
}

function* combinatorialSequence(items: readonly PromptCommand[], ctx: SamplingContext): Generator<string> {
  // Non-finite chunks (random/cyclical variants) keep one running generator for the whole sequence.
  const running = new Map<number, Generator<string>>();
  const valueOf = (index: number): string | undefined => {
    let gen = running.get(index);
    if (!gen) {
      gen = generatorFrom(items[index], ctx);
      running.set(index, gen);
    }
    const next = gen.next();
    return next.done ? undefined : next.value;
  };
  function* from(i: number): Generator<string[]> {
    if (i >= items.length) {
      yield [];
      return;
    }
    if (isNonFinite(effectiveMethod(items[i], ctx))) {
      for (const restVals of from(i + 1)) {
        const val = valueOf(i);
        yield val ? [val, ...restVals] : restVals;
      }
    } else {
      for (const firstVal of generatorFrom(items[i], ctx))
        for (const restVals of from(i + 1)) yield [firstVal, ...restVals];
    }
  }
  for (const words of from(0)) yield words.join("");
}

function* randomSampler(c: PromptCommand, ctx: SamplingContext): Generator<string> {
  if (c.kind === "literal") {
    for (;;) yield c.text;
  }
  if (c.kind === "sequence") {
    yield* rotatingSequence(c.items, ctx);
    return;
  }
  if (c.options.length === 0) return;
  if (c.options.length === 1) {
    yield* generatorFrom(c.options[0].value, ctx);
    return;
  }
  const max = Math.min(c.maxBound, c.options.length);
  const min = Math.min(c.minBound, c.options.length);
  for (;;) {
    const numChoices = Math.min(max, ctx.rand.randint(min, max));
    const picked = chooseWithoutReplacement(c.options, numChoices, ctx.rand);
    const subs = picked.map((p) => generatorFrom(p, ctx));
    if (subs.length === 0) {
      yield "";
      continue;
    }
    const parts: string[] = [];
    for (const g of subs) {
      const next = g.next();
      if (next.done) return;
      parts.push(next.value);
    }
    yield parts.join(c.separator);
  }
}

/** The library's `choose_without_replacement`: one weighted `choices(k=1)` per pick, removing the first equal option. */
function chooseWithoutReplacement(options: readonly VariantOption[], num: number, rand: PythonRandom): PromptCommand[] {
  const values = options.map((o) => o.value);
  const weights = options.map((o) => o.weight);
  if (values.length === 1) return values;
  const chosen: PromptCommand[] = [];
  for (let i = 0; i < num; i++) {
    let pick: PromptCommand;
    try {
      pick = rand.choices(values, weights, 1)[0];
    } catch (err) {
      throw new DynamicPromptError(`Variant weights cannot be sampled: ${(err as Error).message}`, { weights });
    }
    chosen.push(pick);
    const key = commandKey(pick);
    const index = values.findIndex((v) => commandKey(v) === key);
    weights.splice(index, 1);
    values.splice(index, 1);
  }
  return chosen;
}

function* rotatingSequence(items: readonly PromptCommand[], ctx: SamplingContext): Generator<string> {
  const subs = items.map((item) => generatorFrom(item, ctx));
  for (;;) {
    let out = "";
    for (const g of subs) {
      const next = g.next();
      if (next.done) return;
      out += next.value;
    }
    yield out;
  }
}

function* cyclical(c: PromptCommand, ctx: SamplingContext): Generator<string> {
  if (c.kind === "literal") {
    for (;;) yield c.text;
  }
  if (c.kind === "sequence") {
    yield* rotatingSequence(c.items, ctx);
    return;
  }
  if (c.options.length === 0) return;
  const values = c.options.map((o) => o.value);
  const min = Math.min(c.minBound, values.length);
  const max = Math.min(c.maxBound, values.length);
  const samplers: Generator<string>[] = [];
  for (let bound = min; bound <= max; bound++) {
    for (const combo of valueCombinations(bound, values)) samplers.push(joinedSamples(combo, c.separator, ctx));
  }
  if (samplers.length === 0) return;
  for (;;) {
    for (const s of samplers) {
      const next = s.next();
      if (next.done) return;
      yield next.value;
    }
  }
}

function* joinedSamples(combo: readonly PromptCommand[], separator: string, ctx: SamplingContext): Generator<string> {
  const gens = combo.map((c) => generatorFrom(c, ctx));
  for (;;) {
    const parts: string[] = [];
    for (const g of gens) {
      const next = g.next();
      if (next.done) return;
      parts.push(next.value);
    }
    yield parts.join(separator);
  }
}

function take(gen: Generator<string>, limit: number): string[] {
  const out: string[] = [];
  if (limit <= 0) return out;
  for (const value of gen) {
    out.push(value);
    if (out.length >= limit) break;
  }
  return out;
}

/** Upper bound on prompts one call may produce, so a typo in max_prompts cannot exhaust memory. */
export const MAX_DYNAMIC_PROMPTS = 100_000;

function checkLimit(limit: number, field: string): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new DynamicPromptError(`${field} must be a non-negative integer, got ${limit}`, { field, value: limit });
  }
  if (limit > MAX_DYNAMIC_PROMPTS) {
    throw new DynamicPromptError(`${field} ${limit} exceeds the limit of ${MAX_DYNAMIC_PROMPTS} prompts`, {
      field,
      value: limit,
    });
  }
}

/**
 * Every combination in the library's order (first chunk slowest, options in order, counts ascending), at most
 * `maxPrompts`. An empty template gives no prompts.
 */
export function generateCombinatorialPrompts(template: string, maxPrompts: number = MAX_DYNAMIC_PROMPTS): string[] {
  checkLimit(maxPrompts, "max_prompts");
  if (template === "") return [];
  const command = parseDynamicPrompt(template);
  // The rng is only reached by `~` variants nested in a combinatorial template.
  return take(generatorFrom(command, { method: "combinatorial", rand: new PythonRandom(randomSeed()) }), maxPrompts);
}

/** `count` random prompts; with a seed the draws equal `RandomPromptGenerator(seed=seed)` in Python. */
export function generateRandomPrompts(template: string, count: number, seed?: number | bigint): string[] {
  checkLimit(count, "max_prompts");
  if (template === "") return [];
  const command = parseDynamicPrompt(template);
  const rand = new PythonRandom(seed ?? randomSeed());
  return take(generatorFrom(command, { method: "random", rand }), count);
}

/** A fresh seed for unseeded runs (InvokeAI's node uses an unseeded generator too). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
