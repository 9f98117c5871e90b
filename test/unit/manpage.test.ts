/** The man page as man renders it: names of variables and flags are never hyphenated across lines. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const PAGE = path.resolve(__dirname, '../../man/tenantadm.1');

describe('man page', () => {
  it('turns hyphenation off', () => {
    expect(fs.readFileSync(PAGE, 'utf8').split('\n').slice(0, 3)).toContain('.nh');
  });

  const man = spawnSync('man', ['--version'], { encoding: 'utf8' });
  (man.status === 0 ? it : it.skip)('never cuts TENANTADM_TIMEOUT_MS or another name at a narrow width', () => {
    const text = spawnSync('man', ['-l', PAGE], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '60', MAN_KEEP_FORMATTING: '0' } }).stdout;
    expect(text).toContain('TENANTADM_TIMEOUT_MS');
    expect(text).not.toMatch(/[A-Z]‐\n\s*[A-Z_]/);
  });
});
