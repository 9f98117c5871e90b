/** Jest global teardown: stops Mender's services, FerretDB and redis-server started by the global setup, and removes their files. */
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { STATE_FILE, type HarnessState } from './state';
import { stopMender } from './mender-setup';

export default async function globalTeardown(): Promise<void> {
  // Services first: they hold connections to redis and their FerretDB instances.
  await stopMender();
  const child = (globalThis as { __ferretdb?: ChildProcess }).__ferretdb;
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
  child?.stdin?.destroy();
  child?.stdout?.destroy();
  child?.unref();
  // Closing its stdin makes the wrapper stop redis-server (see global-setup).
  const redis = (globalThis as { __redis?: ChildProcess }).__redis;
  if (redis && redis.exitCode === null) {
    const exited = new Promise((r) => redis.once('exit', r));
    redis.stdin?.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
  redis?.stdout?.destroy();
  redis?.unref();
  try {
    const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as HarnessState;
    fs.rmSync(state.dir, { recursive: true, force: true });
    fs.rmSync(STATE_FILE, { force: true });
  } catch {
    // nothing to clean
  }
}
