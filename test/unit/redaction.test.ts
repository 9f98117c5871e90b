/**
 * Passwords never reach a message: the MongoDB URL is checked and split at the last `@`, its
 * secrets registered, and every printed line redacted (URL credentials and registered values).
 */
import { parseMongoUrl, redactUrl, resolveConfig } from '../../src/config';
import { UsageError } from '../../src/errors';
import { redactSecrets, registerSecret } from '../../src/secrets';

/** The message and hint of the usage error `fn` throws, as one text. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return `${(err as UsageError).message} | ${(err as UsageError).hint ?? ''}`;
  }
  throw new Error('expected a usage error');
}

describe('parseMongoUrl', () => {
  it.each([
    ['mongodb://db:27017', 'mongodb://db:27017'],
    ['db:27017', 'mongodb://db:27017'],
    ['mongodb://u:p%2F%40%3A%25w@a:1,b:2/tenantadm?replicaSet=rs0&authSource=admin', 'mongodb://***@a:1,b:2/tenantadm'],
    ['mongodb://[::1]:27017/?directConnection=true', 'mongodb://[::1]:27017'],
    ['mongodb+srv://u:pw@cluster.example/db', 'mongodb+srv://***@cluster.example/db'],
  ])('accepts %s, printed as %s', (raw, target) => {
    expect(parseMongoUrl(raw).target).toBe(target);
  });

  // Each password holds the markers Qx and 7k, so no fragment of one can hide in a message.
  it.each([
    ['a "/" in the password', 'mongodb://admin:Qx/7k@127.0.0.1:1/', /must be percent-encoded/],
    ['an "@" in the password', 'mongodb://admin:Qx@7k@127.0.0.1:1/', /must be percent-encoded/],
    ['a ":" in the password', 'mongodb://admin:Qx:7k@127.0.0.1:1/', /must be percent-encoded/],
    ['a bare "%" in the password', 'mongodb://admin:Qx%7k@127.0.0.1:1/', /must be percent-encoded/],
    ['a "?" and "#" in the password', 'mongodb://admin:Qx?#7k@127.0.0.1:1/', /must be percent-encoded/],
    ['no host', 'mongodb://admin:Qx7k@/', /names no host/],
    ['no host at all', 'mongodb://', /names no host/],
    ['port 99999', 'mongodb://Qx7k:Qx7k@127.0.0.1:99999/', /invalid port "99999"/],
    ['port 0', 'mongodb://127.0.0.1:0/', /invalid port "0"/],
    ['a port that is not a number', 'mongodb://h:abc/', /invalid port "abc"/],
    ['an SRV name with a port', 'mongodb+srv://u:Qx7k@h.example:27017/', /one host, without a port/],
    ['another scheme', 'postgres://u:Qx7k@h/', /invalid MongoDB URL "postgres:\/\/\*\*\*@h\/"/],
  ])('refuses %s (exit 2) without quoting the password', (_what, raw, message) => {
    const text = refusal(() => parseMongoUrl(raw));
    expect(text).toMatch(message);
    expect(text).not.toMatch(/Qx|7k/);
  });
});

describe('redactUrl', () => {
  it.each([
    ['mongodb://user:secret@db:27017/x', 'mongodb://***@db:27017/x'],
    ['mongodb://db:27017', 'mongodb://db:27017'],
    ['mongodb://admin:ab/cd@127.0.0.1:1/', 'mongodb://***@127.0.0.1:1'],
    ['mongodb://admin:ab@cd@127.0.0.1:1/', 'mongodb://***@127.0.0.1:1'],
    ['mongodb://h/?tlsCertificateKeyFilePassword=s3cret', 'mongodb://h'],
    ['redis://:ab@cd@host/0', 'redis://***@host/0'],
  ])('%s -> %s', (raw, printed) => {
    expect(redactUrl(raw)).toBe(printed);
  });
});

describe('redactSecrets', () => {
  it.each([
    ['a quoted URL', 'Protocol and host list are required in "mongodb://admin:PW@/"', 'Protocol and host list are required in "mongodb://***@/"'],
    ['a password with "@"', 'failed at mongodb://u:ab@cd@h:1/x now', 'failed at mongodb://***@h:1/x now'],
    ['a password with "/"', 'bad mongodb://u:ab/cd@h:1/', 'bad mongodb://***@h:1/'],
    ['a Redis URL', "can't connect redis://:ab@cd@host/0 (ECONNREFUSED)", "can't connect redis://***@host/0 (ECONNREFUSED)"],
    ['two URLs', 'a mongodb://u:p@h b redis://:q@r', 'a mongodb://***@h b redis://***@r'],
    ['no URL', 'connect ECONNREFUSED 127.0.0.1:1', 'connect ECONNREFUSED 127.0.0.1:1'],
  ])('hides the credentials in %s', (_what, text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it('hides registered secrets anywhere, in every encoding', () => {
    registerSecret('Wv%2F3@r');
    expect(redactSecrets('password Wv%2F3@r, decoded Wv/3@r, encoded Wv%252F3%40r')).toBe('password ***, decoded ***, encoded ***');
  });

  it('resolveConfig registers the passwords of the URLs and variables it reads', () => {
    resolveConfig(
      { mongo: 'mongodb://u:Mp%40ss1@db:27017/', redisUrl: 'redis://:Rp@ss2@cache:6379/1' },
      { TENANTADM_MONGO_USERNAME: 'u', TENANTADM_MONGO_PASSWORD: 'Ep-ss3' },
    );
    resolveConfig({ mongo: 'mongodb://h/?tlsCertificateKeyFilePassword=Kp-ss4&authMechanismProperties=AWS_SESSION_TOKEN:Tp-ss5' }, {});
    expect(redactSecrets('Mp@ss1 Mp%40ss1 Rp@ss2 Ep-ss3 Kp-ss4 Tp-ss5')).toBe('*** *** *** *** *** ***');
  });

  it('warns when --mongo or --redis-url carry a password, not when the environment does', () => {
    const warnings: string[] = [];
    resolveConfig({ mongo: 'mongodb://u:pw@db/', redisUrl: 'redis://:pw@cache/0' }, {}, (line) => warnings.push(line));
    expect(warnings).toEqual([expect.stringMatching(/--mongo carries a password.*ps/), expect.stringMatching(/--redis-url carries a password.*DEVICEAUTH_REDIS_CONNECTION_STRING/)]);
    warnings.length = 0;
    resolveConfig({ mongo: 'mongodb://u@db/' }, { TENANTADM_MONGO: 'mongodb://u:pw@db/', DEVICEAUTH_REDIS_CONNECTION_STRING: 'redis://:pw@c/0' }, (line) => warnings.push(line));
    expect(warnings).toEqual([]);
  });
});
