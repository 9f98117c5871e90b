/**
 * Secrets come from a file, from stdin, or from a hidden prompt on a terminal; never from
 * argv (visible in `ps` and shell history). They are never printed.
 */
import fs from 'node:fs/promises';
import { UsageError } from './errors';

export interface SecretSource {
  passwordFile?: string;
  passwordStdin?: boolean;
  /** Mender's `create-org --password`: accepted for old scripts, with a warning. */
  insecurePassword?: string;
}

export interface SecretDeps {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  warn: (line: string) => void;
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

async function hiddenPrompt(message: string): Promise<string> {
  // @inquirer/password is ESM-only; a real dynamic import keeps it out of every other path.
  const mod = (await import('@inquirer/password')) as { default: (cfg: object, ctx?: object) => Promise<string> };
  return mod.default({ message, mask: '*' }, { output: process.stderr });
}

export async function readPassword(src: SecretSource, deps: SecretDeps, what = 'password'): Promise<string> {
  const given = [src.passwordFile !== undefined, src.passwordStdin === true, src.insecurePassword !== undefined].filter(Boolean);
  if (given.length > 1) {
    throw new UsageError(`give the ${what} one way only`, 'use one of --password-file, --password-stdin');
  }
  if (src.insecurePassword !== undefined) {
    deps.warn('warning: --password puts the secret in the process list and shell history; use --password-file or --password-stdin');
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
    const ask = deps.prompt ?? hiddenPrompt;
    const first = await ask(`${what[0]!.toUpperCase()}${what.slice(1)} for the new user:`);
    const again = await ask('Repeat it:');
    if (first !== again) throw new UsageError('the two passwords differ', 'run the command again');
    return first;
  }
  throw new UsageError(
    `a ${what} is needed and there is no terminal to ask on`,
    'give it with --password-file FILE or --password-stdin',
  );
}

const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/**
 * Read a JSON document holding secrets from FILE, or from stdin when FILE is `-`.
 * A parse error names the position only: the parser's own message quotes the text.
 */
export async function readJsonDocument(file: string, deps: SecretDeps, what: string): Promise<{ data: unknown; source: string }> {
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
  if (text.trim() === '') throw new UsageError(`${source}: empty (the ${what} are expected as a JSON object)`, 'fix the file and run again');
  try {
    return { data: JSON.parse(text) as unknown, source };
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? '' : ` (${lineColumn(text, Number(at))})`;
    throw new UsageError(`${source}: not valid JSON${where}`, `the ${what} are expected as a JSON object; fix the file and run again`);
  }
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}
