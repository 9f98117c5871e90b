/**
 * One table for every environment variable the tool reads (src/environment.ts: ENVIRONMENT,
 * and TEST_HOOKS apart): this reads every source file under src/ for reads of the environment
 * (`process.env.X`, `env.X`, `env['X']`, `env[ENV.x]`, `env[TEST_HOOK_ENV.x]`, `io.env...`)
 * and fails on a name that is not in the table, on a read by a name it cannot tell, and on an
 * entry of the table that nothing reads. The one read by a name the input gives (`referenced(...)`:
 * a fleet file's `${env:NAME}` references) is not the tool's variable and is left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENVIRONMENT, TEST_HOOKS } from '../../src/environment';
import { manPage } from '../../src/cli/manpage';
import { SRC, sourceFiles } from '../support/source-files';

const TABLES: Record<string, Record<string, { name: string }>> = { ENV: ENVIRONMENT, TEST_HOOK_ENV: TEST_HOOKS };

/** Code without its comments, so that a variable a comment names is not taken for a read. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export interface Reads {
  /** `file: NAME` for each variable read, by whatever way it is named. */
  names: { file: string; name: string }[];
  /** `file: expression` for each read whose name cannot be told from the source. */
  unknown: string[];
}

/** The environment reads of one file's source. */
export function envReads(file: string, text: string): Reads {
  const src = code(text);
  const names: Reads['names'] = [];
  const unknown: string[] = [];
  // env.NAME, process.env.NAME, io.env.NAME (an upper-case property: a variable, not a method).
  for (const m of src.matchAll(/\benv\??\.([A-Z_][A-Z0-9_]*)\b/g)) names.push({ file, name: m[1]! });
  for (const m of src.matchAll(/\benv\??\.?\[([^\]]*)\]/g)) {
    const inner = m[1]!.trim();
    const literal = /^(['"`])([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(inner);
    const named = /^(ENV|TEST_HOOK_ENV)\.(\w+)$/.exec(inner);
    // A variable a fleet file names in a `${env:NAME}` reference (docs/fleet.md): read by apply, never one of the tool's own.
    if (/^referenced\(/.test(inner)) continue;
    if (literal) names.push({ file, name: literal[2]! });
    else if (named && TABLES[named[1]!]![named[2]!]) names.push({ file, name: TABLES[named[1]!]![named[2]!]!.name });
    else unknown.push(`${file}: ${m[0]}`);
  }
  return { names, unknown };
}

describe('the environment table', () => {
  const all = sourceFiles(SRC).map((f) => envReads(path.relative(SRC, f), fs.readFileSync(f, 'utf8')));
  const reads = all.flatMap((r) => r.names);
  const table: string[] = [...Object.values(ENVIRONMENT), ...Object.values(TEST_HOOKS)].map((v) => v.name);

  it('is read from every corner: the entry points, config, colours and the test hooks', () => {
    const files = new Set(reads.map((r) => r.file));
    for (const f of ['launch.ts', 'main.ts', 'config.ts', 'color.ts', path.join('journal', 'test-hooks.ts')]) expect(files).toContain(f);
  });

  it('names every variable src/ reads', () => {
    expect(reads.filter((r) => !table.includes(r.name)).map((r) => `${r.file}: ${r.name}`)).toEqual([]);
  });

  it('is how src/ names the variables it reads (no read by a name the source does not show)', () => {
    expect(all.flatMap((r) => r.unknown)).toEqual([]);
  });

  it('has no entry that nothing reads', () => {
    const read = new Set(reads.map((r) => r.name));
    expect(table.filter((name) => !read.has(name))).toEqual([]);
  });

  it('has each name once, the test hooks apart from the rest', () => {
    expect(new Set(table).size).toBe(table.length);
    const page = manPage('0');
    const hooks = page.indexOf('.SS Test hooks');
    expect(hooks).toBeGreaterThan(page.indexOf('.SH ENVIRONMENT'));
    for (const v of Object.values(TEST_HOOKS)) expect(page.indexOf(`.B ${v.name.replace(/-/g, '\\-')}`)).toBeGreaterThan(hooks);
    for (const v of Object.values(ENVIRONMENT)) {
      const at = page.indexOf(`.B ${v.name}\n`);
      expect(at).toBeGreaterThan(page.indexOf('.SH ENVIRONMENT'));
      expect(at).toBeLessThan(hooks);
    }
  });
});

describe('the reader of the source', () => {
  it('sees each way of reading a variable, and what it cannot name', () => {
    const sample = [
      'const a = process.env.TENANTADM_CACHE_DIR;',
      "const b = process.env['XDG_CACHE_HOME'];",
      'const c = env.FORCE_COLOR;',
      'const d = env[ENV.mongo];',
      'const e = io.env[TEST_HOOK_ENV.crashAt];',
      'const f = env[name];',
      '// env.NOT_A_READ in a comment',
      'const g = env.toString();',
    ].join('\n');
    const r = envReads('x.ts', sample);
    expect(r.names.map((n) => n.name)).toEqual(['TENANTADM_CACHE_DIR', 'FORCE_COLOR', 'XDG_CACHE_HOME', 'TENANTADM_MONGO', 'TENANTADM_CRASH_AT']);
    expect(r.unknown).toEqual(['x.ts: env[name]']);
  });
});
