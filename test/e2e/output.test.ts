/** Whole-tool: a server lost in the middle of a read (connection loss) exits 6 without a complete-looking document, in every output format. */
import net from 'node:net';
import { run, state } from '../support/harness';
import { commandTest } from '../support/command-test';
import { seedBulkTenants } from '../support/cases';

const ctx = commandTest();
const seedTenants = (n: number) => seedBulkTenants(ctx.dbs, n);

describe('a server lost in the middle of a read', () => {
  /** A TCP relay to the test server that can be cut, as a lost network would. */
  async function relay(): Promise<{ url: string; cut: () => void; isCut: () => boolean }> {
    const target = new URL(state().uri);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((incoming) => {
      const outgoing = net.connect(Number(target.port), target.hostname);
      for (const s of [incoming, outgoing]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      incoming.pipe(outgoing).pipe(incoming);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    let cut = false;
    return {
      url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      cut: () => {
        if (cut) return;
        cut = true;
        server.close();
        for (const s of sockets) s.destroy();
      },
      isCut: () => cut,
    };
  }

  it.each([['json'], ['ndjson'], ['csv']])('exits 6 and never ends as a complete document (%s)', async (format) => {
    await seedTenants(3000);
    const link = await relay();
    // The link goes down as the first rows reach stdout: the rest of the listing is still to be read.
    const r = await run(ctx.dbs, ['list-tenants', '-o', format], {
      env: { TENANTADM_MONGO: link.url, TENANTADM_TIMEOUT_MS: '1000' },
      onStdout: link.cut,
    });
    expect(link.isCut()).toBe(true);
    // Exit 6 and one line on stderr (its wording is the connection layer's).
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 6, stderr: expect.stringMatching(/^tenantadm: [^\n]*MongoDB[^\n]*\n$/) });
    if (format === 'json') {
      expect(r.stdout.startsWith('[\n')).toBe(true);
      expect(() => JSON.parse(r.stdout)).toThrow();
    }
    const lines = r.stdout.trim().split(format === 'csv' ? '\r\n' : '\n');
    expect(lines.length).toBeLessThan(3000);
  });
});
