/**
 * A TCP proxy between the tool and the test database, for the schedule explorer
 * (test/explorer/): it forwards bytes both ways and can, on command, hold back the next
 * client->server MongoDB message that matches a predicate until the test releases it (a
 * write already sent, still on the wire: issue #18's finding 4), and drop connections.
 *
 * MongoDB's wire protocol frames every message with its length (4 bytes, little-endian,
 * the length included), so the proxy cuts the client's stream into whole messages. Once a
 * message of a connection is held, the ones after it on that connection wait behind it: the
 * order a connection's bytes arrive in never changes. Replies pass through untouched.
 */
import net from 'node:net';

/** A held message: `seen` resolves when a matching message arrives and is held; `release` sends it on. */
export interface Hold {
  readonly seen: Promise<void>;
  /** Whether a message was held (and not yet released). */
  readonly holding: boolean;
  release(): void;
  /** Stop waiting for a match (releasing what is held). */
  cancel(): void;
  /**
   * Resolves once the server's reply to the released message has been handed to the client's
   * socket (the first bytes from the server on that connection after the release).
   */
  readonly answered: Promise<void>;
}

interface PendingHold {
  match: (msg: Buffer) => boolean;
  seen: () => void;
  conn?: Conn;
  released: boolean;
  answered: () => void;
}

interface Conn {
  client: net.Socket;
  server: net.Socket;
  pending: Buffer;
  /** Messages waiting behind a held one (the first is the held message). */
  queue: Buffer[];
  heldBy?: PendingHold;
  /** A released message whose reply is awaited (Hold.answered). */
  replyTo?: PendingHold;
}

/** Whether an encoded message is a command `cmd` (update, insert, delete, ...) on collection `coll`. */
export function commandOn(cmd: string, coll: string): (msg: Buffer) => boolean {
  // In BSON the command document's first element: type 0x02 (string), name, NUL, int32 length, value, NUL.
  const key = Buffer.concat([Buffer.from([0x02]), Buffer.from(cmd, 'utf8'), Buffer.from([0])]);
  const value = Buffer.from(coll, 'utf8');
  return (msg) => {
    let at = msg.indexOf(key);
    while (at >= 0) {
      const start = at + key.length;
      if (start + 4 <= msg.length) {
        const len = msg.readInt32LE(start);
        if (len === value.length + 1 && msg.subarray(start + 4, start + 4 + value.length).equals(value)) return true;
      }
      at = msg.indexOf(key, at + 1);
    }
    return false;
  };
}

/** Whether the message contains `text` (a value, a field name) anywhere. */
export function contains(text: string): (msg: Buffer) => boolean {
  const needle = Buffer.from(text, 'utf8');
  return (msg) => msg.includes(needle);
}

export function both(...preds: ((msg: Buffer) => boolean)[]): (msg: Buffer) => boolean {
  return (msg) => preds.every((p) => p(msg));
}

export class TcpProxy {
  private readonly conns = new Set<Conn>();
  private readonly holds: PendingHold[] = [];
  /** Messages forwarded client->server, counted (for tests of the proxy). */
  forwarded = 0;
  /** A killed server: new connections are closed at once (see kill()). */
  private down = false;
  /** A frozen server: every message is kept and none answered (see freeze()). */
  private frozen = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly query: string,
  ) {}

  /** A proxy on a free local port in front of the server of `uri` (mongodb://host:port/...). */
  static async start(uri: string): Promise<TcpProxy> {
    const m = /^mongodb:\/\/(?:[^@/]*@)?([^:/,]+):(\d+)\/?(\?.*)?$/.exec(uri);
    if (!m) throw new Error(`tcp-proxy: cannot proxy ${uri} (one host:port expected)`);
    const target = { host: m[1]!, port: Number(m[2]) };
    let proxy!: TcpProxy;
    const server = net.createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target, m[3] ?? '');
    return proxy;
  }

  /** The URI the tool connects to: the target's, through the proxy. */
  get uri(): string {
    const q = this.query.includes('directConnection') ? this.query : `${this.query ? `${this.query}&` : '?'}directConnection=true`;
    return `mongodb://127.0.0.1:${this.port}/${q}`;
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Hold back the next client->server message (on any connection) for which `match` is true. */
  holdNext(match: (msg: Buffer) => boolean): Hold {
    let seen!: () => void;
    const seenP = new Promise<void>((resolve) => (seen = resolve));
    let answered!: () => void;
    const answeredP = new Promise<void>((resolve) => (answered = resolve));
    const h: PendingHold = { match, seen, released: false, answered };
    this.holds.push(h);
    const release = () => {
      if (h.released) return;
      h.released = true;
      const i = this.holds.indexOf(h);
      if (i >= 0) this.holds.splice(i, 1);
      if (h.conn) this.flush(h.conn);
    };
    return {
      seen: seenP,
      get holding() {
        return h.conn !== undefined && !h.released;
      },
      release,
      cancel: release,
      answered: answeredP,
    };
  }

  /** Close every connection at once, both sides (a lost connection; the next ones pass again). */
  dropAll(): void {
    for (const c of this.conns) this.drop(c);
  }

  /** The server dies: every connection is dropped and new ones are closed at once, until revive(). */
  kill(): void {
    this.down = true;
    this.dropAll();
  }

  revive(): void {
    this.down = false;
  }

  /** The server freezes (a stopped process): connections stay open, nothing is answered, until thaw() sends what waited. */
  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const c of this.conns) if (!c.heldBy) this.flush(c);
  }

  async close(): Promise<void> {
    this.frozen = false;
    this.down = false;
    for (const h of [...this.holds]) h.released = true;
    this.holds.length = 0;
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const server = net.connect(this.target.port, this.target.host);
    const conn: Conn = { client, server, pending: Buffer.alloc(0), queue: [] };
    this.conns.add(conn);
    client.setNoDelay(true);
    server.setNoDelay(true);
    server.on('data', (d) => {
      const h = conn.replyTo;
      conn.replyTo = undefined;
      client.write(d, () => h?.answered());
    });
    client.on('data', (d) => this.fromClient(conn, d));
    const end = () => this.drop(conn);
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    conn.client.destroy();
    conn.server.destroy();
  }

  private fromClient(conn: Conn, data: Buffer): void {
    conn.pending = conn.pending.length ? Buffer.concat([conn.pending, data]) : data;
    while (conn.pending.length >= 4) {
      const len = conn.pending.readInt32LE(0);
      if (len < 16 || conn.pending.length < len) break;
      const msg = conn.pending.subarray(0, len);
      conn.pending = conn.pending.subarray(len);
      this.message(conn, Buffer.from(msg));
    }
  }

  private message(conn: Conn, msg: Buffer): void {
    if (conn.heldBy || this.frozen) {
      conn.queue.push(msg);
      return;
    }
    const h = this.holds.find((x) => !x.conn && !x.released && x.match(msg));
    if (h) {
      h.conn = conn;
      conn.heldBy = h;
      conn.queue.push(msg);
      h.seen();
      return;
    }
    this.forwarded++;
    conn.server.write(msg);
  }

  /** The released message goes on as it is; those queued behind it meet the holds again. */
  private flush(conn: Conn): void {
    const held = conn.heldBy;
    conn.heldBy = undefined;
    const [released, ...queued] = conn.queue;
    conn.queue = [];
    if (released) {
      this.forwarded++;
      conn.replyTo = held;
      conn.server.write(released);
    }
    for (const msg of queued) this.message(conn, msg);
  }
}
