/**
 * A minimal Redis client: AUTH, SELECT and DEL over RESP, nothing else. Deleting a few
 * cache keys does not justify a dependency; this speaks the protocol directly over
 * node:net (or node:tls for rediss://) and gives up after the configured timeout.
 */
import net from 'node:net';
import tls from 'node:tls';
import { UsageError } from '../errors';

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/** Parse redis://[[user]:password@]host[:port][/db] (rediss:// for TLS); a bad URL is exit 2. */
export function parseRedisUrl(raw: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError('invalid Redis URL', 'give redis://[:password@]host[:port][/db] with --redis-url or DEVICEAUTH_REDIS');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`invalid Redis URL scheme "${url.protocol}"`, 'use redis:// or rediss://');
  }
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) {
    throw new UsageError(`invalid Redis database "${dbText}" in the Redis URL`, 'the path is the database index, e.g. redis://host:6379/0');
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    tls: url.protocol === 'rediss:',
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: dbText === '' ? 0 : Number(dbText),
  };
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

type Reply = string | number | null | Reply[] | Error;

/** Parse one reply from `buf` at `pos`; undefined when more bytes are needed. */
function parseReply(buf: Buffer, pos: number): { value: Reply; end: number } | undefined {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, eol);
  switch (type) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), end: eol + 2 + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const items: Reply[] = [];
      let at = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      return { value: new Error(`unexpected reply from Redis: ${JSON.stringify(buf.toString('utf8', pos, eol))}`), end: eol + 2 };
  }
}

/** Send the commands pipelined and collect one reply each, all within `timeoutMs`. */
function exchange(target: RedisTarget, commands: string[][], timeoutMs: number): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port });
    let buf = Buffer.alloc(0);
    const replies: Reply[] = [];
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let pos = 0;
      for (;;) {
        const parsed = parseReply(buf, pos);
        if (!parsed) break;
        replies.push(parsed.value);
        pos = parsed.end;
      }
      buf = buf.subarray(pos);
      if (replies.length >= commands.length) finish(undefined);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('the connection was closed before Redis answered')));
  });
}

/** Delete `keys`; resolves with how many existed. Any failure rejects with a readable error. */
export async function redisDel(target: RedisTarget, keys: string[], timeoutMs: number): Promise<number> {
  if (keys.length === 0) return 0;
  const commands: string[][] = [];
  if (target.password !== undefined) {
    commands.push(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
  }
  if (target.db !== 0) commands.push(['SELECT', String(target.db)]);
  commands.push(['DEL', ...keys]);
  const replies = await exchange(target, commands, timeoutMs);
  const failed = replies.find((r): r is Error => r instanceof Error);
  if (failed) throw new Error(`Redis refused: ${failed.message}`);
  return Number(replies[replies.length - 1]);
}
