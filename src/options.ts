/**
 * Option declarations: each option of each command is declared once (its flag, value type,
 * help text, and which options exclude one another), and everything else is derived from
 * that declaration: the parser option (cli.ts), the validation schema (here), the options
 * type a command receives (OptionsOf), --help, the man page and shell completion.
 */

/** Control characters (C0, DEL, C1) are refused in every text option: they hide in logs and terminals. */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

interface Common {
  help: string;
  /** A one-letter alias, e.g. `o` for `-o`. */
  short?: string;
  /** Not shown in --help, the man page or completion (compatibility spellings). */
  hidden?: boolean;
  /** The command is refused without it. */
  required?: boolean;
  /**
   * Older spellings still accepted (long names without the dashes, e.g. `id` for `--tenant`):
   * the parser folds them into this option, help names them, completion offers only the name.
   */
  aliases?: readonly string[];
}

/** A text value, e.g. `--name <name>`; with `negate`, `--no-FLAG` gives `false`. */
export interface TextOption extends Common {
  type: 'string';
  /** The placeholder in help: `--name <name>`. */
  arg: string;
  /** Help for `--no-FLAG`; the value is then `string | false`. */
  negate?: string;
  /** Words offered by shell completion (the value is not restricted to them). */
  complete?: readonly string[];
  /** Completion offers file names. */
  file?: boolean;
}

/** A switch; with `negate`, `--no-FLAG` gives `false` (and giving both is refused). */
export interface SwitchOption extends Common {
  type: 'boolean';
  negate?: string;
}

/** One of a fixed set of words. */
export interface EnumOption extends Common {
  type: 'enum';
  arg: string;
  values: readonly string[];
  /** Accepted in any case (the parser lower-cases it). */
  ignoreCase?: boolean;
}

/** A whole number in [min, max] (safe integers only); with `unlimited`, also the word "unlimited". */
export interface IntegerOption extends Common {
  type: 'int';
  arg: string;
  min: number;
  max: number;
  unlimited?: boolean;
}

/** Repeatable, and each value may be a comma list: `--role a,b --role c` is [a, b, c]. Empty items are refused. */
export interface ListOption extends Common {
  type: 'list';
  arg: string;
  complete?: readonly string[];
}

export type OptionDecl = TextOption | SwitchOption | EnumOption | IntegerOption | ListOption;
export type OptionDecls = Readonly<Record<string, OptionDecl>>;

/** Relations between options of one command, checked with the rest of the schema. */
export type Constraint<K extends string = string> =
  | { exactlyOne: readonly K[]; message?: string }
  | { atMostOne: readonly K[]; message?: string }
  /** If the first is given, all the others must be. */
  | { requires: readonly [K, ...K[]]; message?: string };

/** A positional argument (one at most), e.g. the shell of `completion bash`. */
export interface ArgumentDecl {
  name: string;
  help: string;
  values: readonly string[];
}

type ValueOf<D> = D extends { type: 'boolean' }
  ? boolean
  : D extends { type: 'enum'; values: readonly (infer V)[] }
    ? V
    : D extends { type: 'int'; unlimited: true }
      ? number | 'unlimited'
      : D extends { type: 'int' }
        ? number
        : D extends { type: 'list' }
          ? string[]
          : D extends { type: 'string'; negate: string }
            ? string | false
            : string;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The options object a command receives, derived from its declarations. */
export type OptionsOf<Ds extends OptionDecls> = Simplify<
  { -readonly [K in keyof Ds as Ds[K] extends { required: true } ? K : never]: ValueOf<Ds[K]> } & {
    -readonly [K in keyof Ds as Ds[K] extends { required: true } ? never : K]?: ValueOf<Ds[K]>;
  }
>;

/** `adminEmail` -> `--admin-email`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The flags as help shows them: `-f, --file <file>`. */
export function flagsOf(key: string, d: OptionDecl): string {
  const long = flagOf(key);
  const arg = 'arg' in d ? ` <${d.arg}>` : '';
  return `${d.short ? `-${d.short}, ` : ''}${long}${arg}`;
}

export function negatedFlagOf(key: string): string {
  return `--no-${flagOf(key).slice(2)}`;
}

/** The help line, with what the declaration says about the value. */
export function helpOf(d: OptionDecl): string {
  const notes: string[] = [];
  if (d.type === 'enum') notes.push(`one of ${d.values.join(', ')}`);
  if (d.type === 'int') {
    notes.push(`a whole number from ${d.min}${d.max === Number.MAX_SAFE_INTEGER ? '' : ` to ${d.max}`}${d.unlimited ? ', or "unlimited"' : ''}`);
  }
  if (d.type === 'list') notes.push('repeatable, or a comma list');
  if (d.required) notes.push('required');
  if (d.aliases?.length) notes.push(`also ${d.aliases.map((a) => `--${a}`).join(', ')}`);
  if (notes.length === 0) return d.help;
  // "text (env X, default Y)" + notes reads as "text (env X, default Y; one of ...)".
  return d.help.endsWith(')') ? `${d.help.slice(0, -1)}; ${notes.join('; ')})` : `${d.help} (${notes.join('; ')})`;
}

/** Every help entry of a declaration set: `--x` and, for negatable ones, `--no-x`. */
export function helpEntries(decls: OptionDecls): { flags: string; help: string }[] {
  const out: { flags: string; help: string }[] = [];
  for (const [key, d] of Object.entries(decls)) {
    if (d.hidden) continue;
    out.push({ flags: flagsOf(key, d), help: helpOf(d) });
    if ((d.type === 'boolean' || d.type === 'string') && d.negate) out.push({ flags: negatedFlagOf(key), help: d.negate });
  }
  return out;
}

/** The usage line: required options and "exactly one of" groups are spelt out, the rest is [options]. */
export function usageLine(decls: OptionDecls, constraints: readonly Constraint[], argument?: ArgumentDecl): string {
  const long = (key: string) => flagsOf(key, decls[key]!).replace(/^-\w, /, '');
  const parts: string[] = [];
  for (const [key, d] of Object.entries(decls)) if (d.required) parts.push(long(key));
  for (const c of constraints) if ('exactlyOne' in c) parts.push(`(${c.exactlyOne.map(long).join(' | ')})`);
  if (argument) parts.push(`<${argument.name}>`);
  return [...parts, '[options]'].join(' ');
}

/** What a constraint says, in words; also the error message when it is broken. */
export function constraintMessage(c: Constraint): string {
  if (c.message) return c.message;
  const names = (keys: readonly string[]) => keys.map(flagOf);
  const either = (keys: readonly string[]) => {
    const n = names(keys);
    return n.length <= 2 ? n.join(' or ') : `${n.slice(0, -1).join(', ')} or ${n[n.length - 1]}`;
  };
  if ('exactlyOne' in c) return `give exactly one of ${either(c.exactlyOne)}`;
  if ('atMostOne' in c) return `give at most one of ${either(c.atMostOne)}`;
  const [first, ...rest] = c.requires;
  return `${flagOf(first)} needs ${names(rest).join(' and ')}`;
}

function valueSchema(d: OptionDecl): object {
  const text = { type: 'string', minLength: 1, pattern: NO_CONTROL_CHARACTERS };
  switch (d.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: [...d.values] };
    case 'int': {
      const int = { type: 'integer', minimum: d.min, maximum: d.max };
      return d.unlimited ? { anyOf: [int, { const: 'unlimited' }] } : int;
    }
    case 'list':
      return { type: 'array', minItems: 1, items: text };
    case 'string':
      return d.negate ? { anyOf: [text, { const: false }] } : text;
  }
}

function constraintSchema(c: Constraint): object {
  if ('exactlyOne' in c) return { oneOf: c.exactlyOne.map((k) => ({ required: [k] })) };
  if ('atMostOne' in c) {
    const pairs: object[] = [];
    c.atMostOne.forEach((a, i) => c.atMostOne.slice(i + 1).forEach((b) => pairs.push({ required: [a, b] })));
    return { not: { anyOf: pairs } };
  }
  const [first, ...rest] = c.requires;
  return { if: { required: [first] }, then: { required: rest } };
}

/** The JSON Schema of a command's parsed options: the declarations' types, required ones and constraints. */
export function schemaOf(decls: OptionDecls, constraints: readonly Constraint[] = [], argument?: ArgumentDecl): object {
  const properties: Record<string, object> = {};
  for (const [key, d] of Object.entries(decls)) properties[key] = valueSchema(d);
  const required = Object.entries(decls)
    .filter(([, d]) => d.required)
    .map(([k]) => k);
  if (argument) {
    properties[argument.name] = { type: 'string', enum: [...argument.values] };
    required.push(argument.name);
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    ...(constraints.length ? { allOf: constraints.map(constraintSchema) } : {}),
    additionalProperties: false,
  };
}

/** The message for a value the schema refused, from the declaration (not ajv's wording). */
export function valueMessage(key: string, d: OptionDecl | undefined, value: unknown): string {
  const flag = flagOf(key);
  if (!d) return `unexpected option ${flag}`;
  const texts = Array.isArray(value) ? value : [value];
  if (texts.some((t) => t === '')) return d.type === 'list' ? `${flag} has an empty item` : `${flag} is empty`;
  if (texts.some((t) => typeof t === 'string' && !new RegExp(NO_CONTROL_CHARACTERS, 'u').test(t))) {
    return `${flag} contains a control character`;
  }
  switch (d.type) {
    case 'enum': {
      const near = typeof value === 'string' ? nearest(value, d.values) : undefined;
      return `${flag} must be one of ${d.values.join(', ')}${near ? `; did you mean ${near}?` : ''}`;
    }
    case 'int':
      return `${flag} must be a whole number from ${d.min} to ${d.max}${d.unlimited ? ', or "unlimited"' : ''}`;
    case 'list':
      return `${flag} needs at least one value`;
    default:
      return `${flag} is invalid`;
  }
}

/**
 * The parser's half of an integer option: "unlimited" (when allowed) stays the word; digits
 * that make a safe integer become that number; anything else stays text for the schema to
 * refuse (so 99999999999999999999999 never becomes 1e+23).
 */
export function parseIntegerArgument(d: IntegerOption, raw: string): number | string {
  const text = raw.trim().toLowerCase();
  if (d.unlimited && text === 'unlimited') return 'unlimited';
  if (!/^-?\d+$/.test(text)) return raw;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : raw;
}

/** The parser's half of a list option: split comma lists and append. Empty items are kept, for the schema to refuse. */
export function appendListArgument(raw: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...raw.split(',').map((s) => s.trim())];
}

/** The known word a mistyped one most likely meant: same but for case, a prefix of it, or at most two edits away. */
export function nearest(typed: string, words: readonly string[]): string | undefined {
  const t = typed.trim().toLowerCase();
  if (t === '') return undefined;
  const exact = words.find((w) => w.toLowerCase() === t);
  if (exact) return exact;
  const prefixed = words.filter((w) => w.toLowerCase().startsWith(t) || t.startsWith(w.toLowerCase()));
  if (prefixed.length === 1) return prefixed[0];
  let best: { word: string; distance: number } | undefined;
  for (const w of words) {
    const distance = editDistance(t, w.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { word: w, distance };
  }
  return best?.word;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
