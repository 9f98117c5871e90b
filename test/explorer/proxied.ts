/**
 * The set-up of the explorer's fixed schedules: a FerretDB of the file's own (`check` scans
 * every database of its server), the TCP proxy in front of it, and fresh, migrated databases
 * for each test. Read `proxy` and `dbs` inside a test.
 */
import { closeClient, dropAll, freshDbs, run, seedDeviceauthVersion, serverUri, withOwnServer, type Dbs } from '../support/harness';
import { TcpProxy } from '../support/tcp-proxy';

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
