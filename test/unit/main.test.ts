/** Unit tests of main with injected environment and streams, and of once-per-run notices. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/main';
import { warnDirectUser } from '../../src/notices';

class Captured extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super({
      write: (chunk: Buffer, _enc, done) => {
        this.text += chunk.toString();
        done();
      },
    });
  }
}

async function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await main(['node', 'tenantadm', ...args], { env, stdin: Readable.from([]), stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('main with an injected environment and streams', () => {
  it('writes help and version to the given stdout, never the process', async () => {
    const v = await runMain(['--version']);
    expect(v).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), stderr: '' });
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--wide');
    expect(help.stdout).toContain('--quiet');
  });

  it('reads its configuration from the given environment, not process.env', async () => {
    expect(process.env.TENANTADM_ERROR_FORMAT).toBeUndefined();
    const json = await runMain(['nope'], { TENANTADM_ERROR_FORMAT: 'json' });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'usage' } });
    const text = await runMain(['list-tenants', '--timeout', '5'], {});
    expect(text).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^tenantadm: invalid timeout "5"/) });
    const fromEnv = await runMain(['list-tenants'], { TENANTADM_TIMEOUT_MS: '5' });
    expect(fromEnv).toMatchObject({ code: 2, stderr: expect.stringMatching(/^tenantadm: invalid timeout "5"/) });
  });
});

describe('once-only notices', () => {
  it('are once per run: each run keeps what it said in its own deps', () => {
    const lines: string[] = [];
    const run = () => ({ warn: (l: string) => lines.push(l), warned: new Set<string>() });
    const first = run();
    warnDirectUser(first);
    warnDirectUser(first);
    expect(lines).toHaveLength(1);
    warnDirectUser(run());
    expect(lines).toHaveLength(2);
  });
});
