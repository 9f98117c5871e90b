/**
 * Run the built binary on a pseudo terminal (python's pty module), typing into it as a person
 * would: each step waits until its text is on the screen, then types its keys. For prompts,
 * whose behaviour depends on a real terminal (raw mode, Ctrl-C as a key, hidden input).
 */
import { spawnSync } from 'node:child_process';
import { BIN, cliEnv, type Dbs } from './harness';

export interface Keys {
  /** Typed once this text has appeared on the screen since the previous step. */
  after: string;
  /** What is typed: '\r' is Enter, '\x03' Ctrl-C. */
  type: string;
}

export interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr together, as on a screen). */
  screen: string;
}

const DRIVER = [
  'import json, os, pty, sys, select',
  'steps = json.loads(sys.argv[1])',
  'pid, fd = pty.fork()',
  'if pid == 0: os.execvpe(sys.argv[2], sys.argv[2:], os.environ)',
  'seen = b""',
  'def more():',
  '    global seen',
  '    r, _, _ = select.select([fd], [], [], 20)',
  '    if not r: return False',
  '    try: chunk = os.read(fd, 1024)',
  '    except OSError: return False',
  '    if not chunk: return False',
  '    seen += chunk',
  '    return True',
  'mark = 0',
  'for step in steps:',
  '    want = step["after"].encode()',
  '    while want not in seen[mark:]:',
  '        if not more(): break',
  '    mark = seen.find(want, mark) + len(want) if want in seen[mark:] else len(seen)',
  '    os.write(fd, step["type"].encode())',
  'while more(): pass',
  '_, status = os.waitpid(pid, 0)',
  'sys.stdout.write(seen.decode("utf8", "replace"))',
  'sys.exit(os.waitstatus_to_exitcode(status))',
].join('\n');

export function onTerminal(dbs: Dbs, args: string[], steps: Keys[], env: NodeJS.ProcessEnv = {}): TerminalRun {
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify(steps), process.execPath, BIN, ...args], {
    env: { ...cliEnv(dbs, env), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, screen: r.stdout.replace(/\r\n/g, '\n') };
}
