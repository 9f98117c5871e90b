/**
 * Secrets come from a file, from stdin, or from a hidden prompt on a terminal; never from
 * argv (visible in `ps` and shell history). They are never printed.
 */
import fs from 'node:fs/promises';
import { UsageError } from './errors';
import type { OptionDecls } from './options';

/** The password options of a command that creates a user: declared here, beside the code that reads them. */
export const passwordOptions = (whose: string) =>
  ({
    passwordFile: { type: 'string', arg: 'file', file: true, help: `read ${whose} password from FILE (one trailing newline is dropped)` },
    passwordStdin: { type: 'boolean', help: `read ${whose} password from standard input` },
  }) as const satisfies OptionDecls;

export interface SecretSource {
  passwordFile?: string;
  passwordStdin?: boolean;
  /** Mender's `create-org --password`: accepted for old scripts, with a warning. */
  insecurePassword?: string;
}

export interface SecretDeps {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Says a warning on stderr; the prefix `tenantadm: warning:` is added by main, once for all. */
  warn: (message: string) => void;
  prompt?: (message: string) => Promise<string>;
  /** `--no-input` / TENANTADM_NO_INPUT: never prompt, even on a terminal. */
  noInput?: boolean;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** One trailing newline (from `echo` or an editor) is not part of the secret. */
function chomp(s: string): string {
  return s.replace(/\r?\n$/, '');
}

/** Ask on the terminal without echoing; the prompt goes to `output` (stderr), never stdout. */
export async function hiddenPrompt(message: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  // @inquirer/password is ESM-only; a real dynamic import keeps it out of every other path.
  const mod = (await import('@inquirer/password')) as { default: (cfg: object, ctx?: object) => Promise<string> };
  return mod.default({ message, mask: '*' }, { input, output });
}

export async function readPassword(src: SecretSource, deps: SecretDeps, what = 'password'): Promise<string> {
  const given = [src.passwordFile !== undefined, src.passwordStdin === true, src.insecurePassword !== undefined].filter(Boolean);
  if (given.length > 1) {
    throw new UsageError(`give the ${what} one way only`, 'use one of --password-file, --password-stdin');
  }
  if (src.insecurePassword !== undefined) {
    deps.warn('--password puts the secret in the process list and shell history; use --password-file or --password-stdin');
    return src.insecurePassword;
  }
  if (src.passwordFile !== undefined) {
    try {
      return chomp(await fs.readFile(src.passwordFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read the ${what} file ${src.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (src.passwordStdin) {
    if (deps.stdin.isTTY) {
      throw new UsageError('--password-stdin expects the password piped in', 'e.g. `printf %s "$PW" | tenantadm ... --password-stdin`');
    }
    return chomp(await readAll(deps.stdin));
  }
  if (deps.stdin.isTTY && deps.noInput) {
    throw new UsageError(`a ${what} is needed and --no-input forbids asking for it`, 'give it with --password-file FILE or --password-stdin');
  }
  if (deps.stdin.isTTY) {
    const ask = deps.prompt ?? ((message: string) => hiddenPrompt(message, deps.stdin, process.stderr));
    // A typing slip is asked again, as passwd does; three in a row end the command (exit 2).
    for (let attempt = 1; ; attempt++) {
      const first = await ask(`${what[0]!.toUpperCase()}${what.slice(1)} for the new user:`);
      const again = await ask('Repeat it:');
      if (first === again) return first;
      if (attempt === 3) throw new UsageError('the two passwords differed three times', 'run the command again');
      deps.warn('the two passwords differ; type them again');
    }
  }
  throw new UsageError(
    `a ${what} is needed and there is no terminal to ask on`,
    'give it with --password-file FILE or --password-stdin',
  );
}

/**
 * A secret other than a password (a tenant token) from FILE, or from stdin when FILE is `-`;
 * one trailing newline is dropped. It is registered, so no message can print it.
 */
export async function readSecretFile(file: string, deps: SecretDeps, what: string, flag: string): Promise<string> {
  let text: string;
  if (file === '-') {
    if (deps.stdin.isTTY) throw new UsageError(`${flag} - expects the ${what} piped in`, `e.g. \`tenantadm ... ${flag} - < token.txt\``);
    text = chomp(await readAll(deps.stdin));
  } else {
    try {
      text = chomp(await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  registerSecret(text);
  return text;
}

const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/**
 * Read a JSON document holding secrets from FILE, or from stdin when FILE is `-`.
 * A parse error names the position only: the parser's own message quotes the text.
 */
export async function readJsonDocument(file: string, deps: SecretDeps, what: string): Promise<{ data: unknown; source: string }> {
  const { text, source } = await readDocumentText(file, deps, what);
  if (text.trim() === '') throw new UsageError(`${source}: empty (the ${what} are expected as a JSON object)`, 'fix the file and run again');
  try {
    return { data: JSON.parse(text) as unknown, source };
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? '' : ` (${lineColumn(text, Number(at))})`;
    throw new UsageError(`${source}: not valid JSON${where}`, `the ${what} are expected as a JSON object; fix the file and run again`);
  }
}

/** The text of a document from FILE, or from stdin when FILE is `-` (at most 4 MiB from a file); `source` names it in messages. */
export async function readDocumentText(file: string, deps: SecretDeps, what: string): Promise<{ text: string; source: string }> {
  let text: string;
  const source = file === '-' ? 'stdin' : file;
  if (file === '-') {
    if (deps.stdin.isTTY) throw new UsageError(`-f - expects the ${what} piped in`, `e.g. \`tenantadm ... -f - < ${what.replace(/\s+/g, '-')}.json\``);
    text = await readAll(deps.stdin);
  } else {
    try {
      const stat = await fs.stat(file);
      if (stat.size > MAX_DOCUMENT_BYTES) throw new UsageError(`${file} is larger than ${MAX_DOCUMENT_BYTES} bytes`, `give a ${what} file`);
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { text, source };
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/**
 * Passwords this run knows about (from the MongoDB and Redis URLs and variables). Whatever
 * else goes wrong, `redactSecrets` keeps them out of every message the tool prints.
 */
const knownSecrets = new Set<string>();

/** Remember a secret, as given and in its percent-decoded and -encoded forms. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value === '') return;
  knownSecrets.add(value);
  knownSecrets.add(encodeURIComponent(value));
  try {
    knownSecrets.add(decodeURIComponent(value));
  } catch {
    // Not valid percent-encoding: the raw form is all there is.
  }
}

/**
 * The user information of any URL in a text: from `scheme://` to the last `@` before a space
 * or quote. Greedy on purpose: with an unescaped `@`, `/` or `:` in a password the parsers
 * disagree on where it ends, and hiding a host name too is better than showing a password.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s"'`<>]*@/gi;

/** A text fit to print: URL credentials and every registered secret replaced by `***`. */
export function redactSecrets(text: string): string {
  let out = text.replace(URL_USERINFO, '$1***@');
  // Longest first, so a secret that contains another is hidden whole.
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}
