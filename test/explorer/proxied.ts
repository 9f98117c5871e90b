/**
 * The set-up of the explorer's fixed schedules: a FerretDB of the file's own (`check` scans
 * every database of its server), the TCP proxy in front of it, and fresh, migrated databases
 * for each test. Read `proxy` and `dbs` inside a test.
 */
import { closeClient, dropAll, freshDbs, run, seedDeviceauthVersion, serverUri, withOwnServer, type Dbs, type RunResult } from '../support/harness';
import { TcpProxy } from '../support/tcp-proxy';
import { argsOf, type Cmd, type Ran, type World } from './schedule';

export function proxiedTest(): { readonly proxy: TcpProxy; readonly dbs: Dbs } {
  let proxy: TcpProxy | undefined;
  let dbs: Dbs | undefined;
  withOwnServer();
  beforeAll(async () => {
    proxy = await TcpProxy.start(serverUri());
  });
  beforeEach(async () => {
    dbs = freshDbs();
    await seedDeviceauthVersion(dbs);
    const m = await run(dbs, ['migrate']);
    if (m.code !== 0) throw new Error(`migrate failed: ${m.stderr}`);
  });
  afterEach(async () => {
    if (dbs) await dropAll(dbs);
  });
  afterAll(async () => {
    await proxy?.close();
    await closeClient();
  });
  return {
    get proxy() {
      if (!proxy) throw new Error('no proxy outside a test (proxiedTest)');
      return proxy;
    },
    get dbs() {
      if (!dbs) throw new Error('no databases outside a test (proxiedTest)');
      return dbs;
    },
  };
}

/**
 * Runs one command of a fixed schedule to its end and logs it as the explorer's model reads it
 * (times from t0), under its own actor.
 */
export function stepper(dbs: Dbs, w: World, log: Ran[], t0: number) {
  return async (proc: number, cmd: Cmd, actor: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
    const start = Date.now() - t0;
    const result = await run(dbs, argsOf(cmd, w), { env: { TENANTADM_ACTOR: actor, ...env } });
    log.push({ proc, cmd, actor, args: argsOf(cmd, w), start, end: Date.now() - t0, result });
    return result;
  };
}

/** Resolves once the proxy has caught the running command's write (`seen`); fails if `what` ends first. */
export async function caught(running: Promise<RunResult>, seen: Promise<unknown>, what: string): Promise<void> {
  const endedFirst = running.then((r) => Promise.reject(new Error(`${what} ended first: ${r.code} ${r.stdout}${r.stderr}`)));
  endedFirst.catch(() => undefined);
  await Promise.race([seen, endedFirst]);
}
