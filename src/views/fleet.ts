/** A fleet file read (YAML or JSON, checked at the edge), and a fleet diff as printed for people: one line per change, grouped by tenant. */
import type { Column } from '../output';
import { UsageError } from '../errors';
import { readDocumentText, type SecretDeps } from '../secrets';
import { validateFleet, type FleetChange, type FleetDocument } from '../domain/fleet';

function shown(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const fleetChangeColumns: Column<FleetChange>[] = [
  { header: 'TENANT', get: (c) => c.tenant, keep: true },
  { header: 'ID', get: (c) => c.id ?? '', keep: true, optional: true },
  { header: 'ACTION', get: (c) => c.action },
  { header: 'FIELD', get: (c) => c.field ?? '' },
  { header: 'BEFORE', get: (c) => shown(c.before) },
  { header: 'AFTER', get: (c) => shown(c.after) },
];

/**
 * YAML for a fleet document, written here rather than by a YAML library: the document is plain
 * data (objects, lists, strings, numbers, booleans, null) in a fixed shape, and a library's
 * general emitter took a third of an export of 2,000 children. Objects and lists of objects are
 * block style, lists of scalars flow style (`[a, b]`); a string is plain only when it cannot be
 * read as anything else (it starts with a letter, holds only letters, digits and ` _.@/+-`, and
 * is no YAML 1.1 or 1.2 keyword), otherwise a JSON string, which is a YAML double-quoted scalar.
 * The same data always gives the same bytes.
 */
export function fleetYaml(doc: object): string {
  return `${objectLines(doc as Record<string, unknown>, 0).join('\n')}\n`;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_ .@/+-]*$/;
const KEYWORD = /^(?:null|true|false|yes|no|on|off|y|n|~)$/i;
/** Characters YAML does not allow raw, or reads as line breaks, which JSON.stringify leaves as they are. */
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  const s = String(value);
  if (PLAIN.test(s) && !s.endsWith(' ') && !s.includes('  ') && !KEYWORD.test(s)) return s;
  return JSON.stringify(s).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function flow(list: unknown[]): string {
  return `[${list.map((v) => (Array.isArray(v) ? flow(v) : isObject(v) ? flowObject(v) : scalar(v))).join(', ')}]`;
}

function flowObject(o: Record<string, unknown>): string {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${scalar(k)}: ${Array.isArray(v) ? flow(v) : isObject(v) ? flowObject(v) : scalar(v)}`).join(', ')}}`;
}

function objectLines(o: Record<string, unknown>, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const key = `${pad}${scalar(k)}:`;
    if (isObject(v)) {
      if (Object.keys(v).length === 0) lines.push(`${key} {}`);
      else lines.push(key, ...objectLines(v, indent + 2));
    } else if (Array.isArray(v)) {
      if (v.length > 0 && v.every(isObject)) {
        lines.push(key);
        for (const item of v) lines.push(...itemLines(item, indent + 2));
      } else {
        lines.push(`${key} ${flow(v)}`);
      }
    } else {
      lines.push(`${key} ${scalar(v)}`);
    }
  }
  return lines;
}

/** A list item: `- ` and the object's first line, the rest under it. */
function itemLines(item: Record<string, unknown>, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Object.keys(item).filter((k) => item[k] !== undefined).length === 0) return [`${pad}- {}`];
  const lines = objectLines(item, indent + 2);
  lines[0] = `${pad}- ${lines[0]!.slice(indent + 2)}`;
  return lines;
}

/** The text is not in the subset `fleetYaml` writes: the caller reads it with a YAML library. */
class NotTheSubset extends Error {}

const LINE = /^( *)(- )?(?:([A-Za-z_][A-Za-z0-9_]*):(?: (.+))?|(\{\}))$/;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const JSON_STRING = /^"(?:[^"\\]|\\.)*"$/;

function readScalar(text: string): unknown {
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (INTEGER.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new NotTheSubset();
    return n;
  }
  if (JSON_STRING.test(text)) {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw new NotTheSubset();
    }
  }
  if (PLAIN.test(text) && !text.endsWith(' ') && !text.includes('  ') && !KEYWORD.test(text)) return text;
  throw new NotTheSubset();
}

/** `[a, "b, c", 3]`: scalars only. */
function readFlow(text: string): unknown[] {
  if (text === '[]') return [];
  const out: unknown[] = [];
  let i = 1;
  for (;;) {
    let end: number;
    if (text[i] === '"') {
      end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end += 1;
    } else {
      end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== ']') end++;
    }
    out.push(readScalar(text.slice(i, end)));
    if (text.startsWith(', ', end)) i = end + 2;
    else if (end === text.length - 1 && text[end] === ']') return out;
    else throw new NotTheSubset();
  }
}

function readValue(text: string): unknown {
  if (text === '{}') return {};
  if (text.startsWith('[')) return readFlow(text);
  return readScalar(text);
}

interface Line {
  indent: number;
  dash: boolean;
  key?: string;
  value?: string;
  empty?: boolean;
}

/**
 * Read the subset of YAML that `fleetYaml` writes (block mappings of plain keys, lists of
 * mappings, flow lists of scalars, JSON strings, plain words, integers, true, false, null)
 * many times faster than a general YAML parser; undefined for anything else (a comment, an
 * anchor, another style), which the caller then gives to the YAML library. Whatever it
 * accepts, it reads as YAML does (checked against the library in its tests).
 */
export function readFleetYaml(text: string): unknown {
  try {
    const lines: Line[] = [];
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      const m = LINE.exec(raw);
      if (!m) throw new NotTheSubset();
      lines.push({ indent: m[1]!.length, dash: m[2] !== undefined, ...(m[5] ? { empty: true } : { key: m[3]!, ...(m[4] !== undefined ? { value: m[4] } : {}) }) });
    }
    if (lines.length === 0 || lines[0]!.indent !== 0 || lines[0]!.dash) throw new NotTheSubset();
    let at = 0;
    const mapping = (indent: number, first?: Line): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      let line = first ?? lines[at];
      while (line && (first === line || (line.indent === indent && !line.dash))) {
        if (line !== first) at++;
        if (line.empty || line.key === undefined || KEYWORD.test(line.key) || Object.prototype.hasOwnProperty.call(out, line.key)) throw new NotTheSubset();
        if (line.value !== undefined) {
          out[line.key] = readValue(line.value);
        } else {
          const next = lines[at];
          if (next && next.indent > indent && next.dash) out[line.key] = sequence(next.indent);
          else if (next && next.indent > indent) out[line.key] = mapping(next.indent);
          else if (next && next.indent === indent && next.dash) throw new NotTheSubset();
          else out[line.key] = null;
        }
        first = undefined;
        line = lines[at];
      }
      if (line && line.indent > indent) throw new NotTheSubset();
      return out;
    };
    const sequence = (indent: number): unknown[] => {
      const out: unknown[] = [];
      for (let line = lines[at]; line && line.indent === indent && line.dash; line = lines[at]) {
        at++;
        if (line.empty) out.push({});
        else out.push(mapping(indent + 2, { ...line, indent: indent + 2, dash: false }));
      }
      if (lines[at] && lines[at]!.indent > indent) throw new NotTheSubset();
      return out;
    };
    const doc = mapping(0);
    if (at !== lines.length) throw new NotTheSubset();
    return doc;
  } catch (err) {
    if (err instanceof NotTheSubset) return undefined;
    throw err;
  }
}

/** The fleet file, parsed (YAML, which JSON is a part of) and checked; exit 2 naming where it is wrong. */
export async function readFleetFile(file: string, deps: SecretDeps, given?: { text: string; source: string }): Promise<FleetDocument> {
  const { text, source } = given ?? (await readDocumentText(file, deps, 'fleet'));
  if (text.trim() === '') throw new UsageError(`${source}: empty (a fleet document is expected)`, 'export one with `tenantadm export`');
  // JSON (export --format json) is YAML too, but JSON.parse reads it many times faster.
  if (text.trimStart().startsWith('{')) return validateFleet(parseJson(text, source), source);
  // What export wrote, read without the library (many times faster); anything else by the library.
  const written = readFleetYaml(text);
  if (written !== undefined) return validateFleet(written, source);
  // Loaded here only: no other command pays for the YAML library.
  const YAML = require('yaml') as typeof import('yaml');
  const parsed = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const error = parsed.errors[0];
  if (error) {
    // The position only: the parser's message may quote the text, which may hold a secret.
    const pos = error.linePos?.[0];
    throw new UsageError(`${source}: not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`, 'fix the file and run again');
  }
  return validateFleet(parsed.toJS({ maxAliasCount: 100 }), source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The position only: the parser's message may quote the text.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? '' : ` (line ${text.slice(0, Number(at)).split('\n').length})`;
    throw new UsageError(`${source}: not valid JSON${where}`, 'fix the file and run again');
  }
}
