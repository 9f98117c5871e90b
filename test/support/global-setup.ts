/**
 * Starts the test database once for the whole run: FerretDB (SQLite backend) from our
 * launcher, on a free port in a temporary directory, unless MONGODB_URI names a server
 * (a real mongod, say). Also makes the RSA key that signs tenant tokens in tests.
 */
import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATE_FILE, type HarnessState } from './state';

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantadm-test-'));
  const keyFile = path.join(dir, 'private.pem');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  const state: HarnessState = { dir, keyFile, uri: '', pid: 0, server: 'mongodb' };
  if (process.env.MONGODB_URI) {
    state.uri = process.env.MONGODB_URI;
  } else {
    const root = path.resolve(__dirname, '../..');
    const bin = execFileSync(path.join(root, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const child = spawn(bin, ['--sqlite-dir', path.join(dir, 'db'), '--exit-on-stdin-eof'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: false,
    });
    const uri = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('FerretDB did not start within 30 s')), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) {
          clearTimeout(timer);
          resolve(line.trim());
        }
      });
      child.on('exit', (code) => reject(new Error(`FerretDB exited early with code ${code}`)));
    });
    state.uri = uri.replace(/\/?$/, '/?directConnection=true');
    state.pid = child.pid ?? 0;
    state.server = 'ferretdb';
    // Keep a handle so teardown (same process) can stop it; stdin EOF also stops it.
    (globalThis as { __ferretdb?: unknown }).__ferretdb = child;
  }
  fs.writeFileSync(STATE_FILE, JSON.stringify(state));
  process.env.TENANTADM_TEST_STATE = STATE_FILE;
}
