/** diff: what would change to make the database match a fleet file. */
import type { OptionsOf } from '../../options';
import type { diffOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode, UsageError } from '../../errors';
import { readDocumentText } from '../../secrets';
import { buildFleet, diffFleet, validateFleet, type FleetDocument } from '../../domain/fleet';
import { readFleetState } from '../../operations/fleet';
import { fleetChangeColumns, readFleetYaml } from '../../views/fleet';

export type DiffOptions = OptionsOf<typeof diffOptions>;

export async function diff(options: DiffOptions, deps: Deps): Promise<Result> {
  const wanted = await readFleetFile(options.file, deps);
  const store = await deps.store();
  const current = buildFleet(await readFleetState(store), 'keep');
  const changes = diffFleet(current, wanted, { prune: options.prune === true });
  return { type: 'list', rows: changes, columns: fleetChangeColumns, noun: 'changes', exitCode: () => (changes.length > 0 ? ExitCode.changesFound : undefined) };
}

/** The fleet file, parsed (YAML, which JSON is a part of) and checked; exit 2 naming where it is wrong. */
export async function readFleetFile(file: string, deps: Deps, given?: { text: string; source: string }): Promise<FleetDocument> {
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
