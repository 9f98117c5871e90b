/**
 * The explorer's TCP proxy (test/support/tcp-proxy.ts) against the test database: it
 * forwards both ways, holds back exactly the matching message until released (the write is
 * then on the wire, not in the database), keeps a connection's later messages behind the
 * held one, and drops connections.
 */
import { MongoClient } from 'mongodb';
import { client, closeClient, freshDbs, serverUri, dropAll } from '../support/harness';
import { TcpProxy, commandOn } from '../support/tcp-proxy';

describe('tcp-proxy', () => {
  const dbs = freshDbs();
  let proxy: TcpProxy;
  let via: MongoClient;
  beforeAll(async () => {
    proxy = await TcpProxy.start(serverUri());
    via = await MongoClient.connect(proxy.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 1, retryReads: false, retryWrites: false });
  });
  afterAll(async () => {
    await via.close().catch(() => undefined);
    await proxy.close();
    await dropAll(dbs);
    await closeClient();
  });

  it('forwards commands and their replies', async () => {
    await via.db(dbs.tenantadm).collection('x').insertOne({ _id: 'a' as never, v: 1 });
    expect(await (await client()).db(dbs.tenantadm).collection('x').findOne({ _id: 'a' as never })).toEqual({ _id: 'a', v: 1 });
    expect(await via.db(dbs.tenantadm).collection('x').countDocuments()).toBe(1);
  });

  it('holds the matching update on the wire until released, and what follows it on that connection', async () => {
    const coll = via.db(dbs.tenantadm).collection('x');
    const hold = proxy.holdNext(commandOn('update', 'x'));
    // Another collection's update passes.
    await via.db(dbs.tenantadm).collection('y').insertOne({ _id: 'b' as never });
    const sent = coll.updateOne({ _id: 'a' as never }, { $set: { v: 2 } });
    await hold.seen;
    expect(hold.holding).toBe(true);
    // Sent, not applied: the database still has v 1.
    const direct = (await client()).db(dbs.tenantadm).collection('x');
    expect(await direct.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', v: 1 });
    // The pool's one connection is behind the held message: a read through the proxy waits too.
    let readDone = false;
    const read = coll.findOne({ _id: 'a' as never }).then((d) => ((readDone = true), d));
    await new Promise((r) => setImmediate(r));
    expect(readDone).toBe(false);
    // A rival writes meanwhile; the held write then lands after it.
    await direct.updateOne({ _id: 'a' as never }, { $set: { v: 3 } });
    hold.release();
    expect((await sent).modifiedCount).toBe(1);
    expect(await read).toEqual({ _id: 'a', v: 2 });
    expect(await direct.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', v: 2 });
  });

  it('sends a released message on even when another hold would match it', async () => {
    const coll = via.db(dbs.tenantadm).collection('x');
    const first = proxy.holdNext(commandOn('update', 'x'));
    const sent = coll.updateOne({ _id: 'a' as never }, { $set: { v: 4 } });
    await first.seen;
    const second = proxy.holdNext(commandOn('update', 'x'));
    first.release();
    expect((await sent).modifiedCount).toBe(1);
    expect(second.holding).toBe(false);
    const next = coll.updateOne({ _id: 'a' as never }, { $set: { v: 2 } });
    await second.seen;
    second.release();
    expect((await next).modifiedCount).toBe(1);
  });

  it('drops connections: the command in flight fails, the next one reconnects', async () => {
    const coll = via.db(dbs.tenantadm).collection('x');
    const hold = proxy.holdNext(commandOn('find', 'x'));
    const pending = coll.findOne({ _id: 'a' as never });
    await hold.seen;
    proxy.dropAll();
    await expect(pending).rejects.toThrow();
    hold.release();
    expect(await coll.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', v: 2 });
  });
});
