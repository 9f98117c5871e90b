/**
 * The one translation of database errors (errors.ts) on the driver's own error classes and the
 * replies FerretDB and MongoDB send: what each becomes, and so which exit code it gives.
 */
import { MongoBulkWriteError, MongoNetworkError, MongoNetworkTimeoutError, MongoParseError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { asTenantadmError, exitCodeOf, isDuplicateKeyError, translateDatabaseError } from '../../src/errors';

const at = { target: 'mongodb://***@db.example:27017', timeoutMs: 1000 };

/** A selection error as the driver builds it: the servers it tried, with each one's last error. */
function selectionError(serverError?: Error): MongoServerSelectionError {
  const servers = new Map([['db.example:27017', { error: serverError ?? null }]]);
  return new MongoServerSelectionError(`Server selection timed out after 1000 ms`, { servers } as never);
}

/** What `node:dns` throws for an SRV name that does not exist (the driver passes it through). */
function srvNotFound(): Error {
  return Object.assign(new Error('querySrv ENOTFOUND _mongodb._tcp.nowhere.invalid'), { code: 'ENOTFOUND', syscall: 'querySrv', hostname: '_mongodb._tcp.nowhere.invalid' });
}

const ferretUniqueUpdate =
  "[msg_update.go:133 handler.(*Handler).updateDocument] [update.go:114 common.UpdateDocument] [collection.go:191 sqlite.(*collection).UpdateAll] constraint failed: UNIQUE constraint failed: index 'z_ff0c53ad_name_1' (2067)";

describe('translateDatabaseError', () => {
  it.each<[string, unknown, number, RegExp]>([
    ['a refused connection at connect', selectionError(new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1')), 6, /^cannot reach MongoDB at mongodb:\/\/\*\*\*@db\.example:27017 within 1000 ms: connect ECONNREFUSED/],
    ['a server that never answered', selectionError(), 6, /^cannot reach MongoDB at \S+: no answer within 1000 ms$/],
    ['a connection closed mid-read', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'), 6, /^lost the connection to MongoDB at \S+: connection 3 to 127\.0\.0\.1:27017 closed$/],
    ['a closed connection wrapped in another error', Object.assign(new Error('write failed'), { cause: new MongoNetworkError('connection 1 to 127.0.0.1:39163 closed') }), 6, /^lost the connection to MongoDB at \S+: connection 1 to 127\.0\.0\.1:39163 closed$/],
    [
      'a bulk write (the lock table\'s insertMany) failing on a network error, kept as its errorResponse',
      new MongoBulkWriteError(new MongoNetworkTimeoutError('Connection to 127.0.0.1:36631 interrupted due to server monitor timeout') as never, {} as never),
      6,
      /^MongoDB at \S+ stopped answering: Connection to 127\.0\.0\.1:36631 interrupted/,
    ],
    ['a closed connection the driver reported as a plain error', new Error('connection 1 to 127.0.0.1:39163 closed'), 6, /^lost the connection to MongoDB at \S+: connection 1/],
    ['a reply that stopped coming', new MongoNetworkTimeoutError('connection <monitor> to 127.0.0.1:27017 timed out'), 6, /^MongoDB at \S+ stopped answering: /],
    ['connections interrupted by a failed heartbeat', Object.assign(new Error('Connection pool for db.example:27017 was cleared because another operation failed with: "connection <monitor> to db.example:27017 timed out"'), { name: 'PoolClearedOnNetworkError' }), 6, /stopped answering/],
    ['a server shutting down', new MongoServerError({ code: 91, codeName: 'ShutdownInProgress', errmsg: 'The server is in quiesce mode and will shut down' }), 6, /^MongoDB at \S+ is shutting down/],
    ['an SRV name that does not resolve', srvNotFound(), 6, /^the MongoDB SRV name _mongodb\._tcp\.nowhere\.invalid does not resolve \(ENOTFOUND\)$/],
    ['refused credentials', new MongoServerError({ code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }), 6, /^authentication failed: MongoDB at \S+ refused the credentials/],
    ['a user without the right role', new MongoServerError({ code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on tenantadm' }), 6, /not authorized/],
    ['a malformed URL', new MongoParseError('Invalid scheme'), 2, /^invalid MongoDB URL: Invalid scheme$/],
    ['MongoDB duplicate key', new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key error', keyValue: { email: 'a@x' } }), 4, /^already exists: email="a@x"$/],
    ['FerretDB (SQLite) unique index on update', new MongoServerError({ code: 1, codeName: 'InternalError', errmsg: ferretUniqueUpdate }), 4, /^already exists: a document with the same unique key \(index z_ff0c53ad_name_1\)$/],
    ['FerretDB (PostgreSQL) unique index', new MongoServerError({ code: 1, errmsg: 'ERROR: duplicate key value violates unique constraint "x" (SQLSTATE 23505)' }), 4, /^already exists/],
  ])('%s', (_what, err, code, message) => {
    const typed = translateDatabaseError(err, at);
    expect(typed).toBeDefined();
    expect(typed!.message).toMatch(message);
    expect(exitCodeOf(typed)).toBe(code);
  });

  it('a bulk write whose errors include a duplicate is a conflict', () => {
    const result = { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} };
    const err = new MongoBulkWriteError({ message: 'E11000 duplicate key error', code: 11000, writeErrors: [{ code: 11000 }] } as never, result as never);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(exitCodeOf(translateDatabaseError(err))).toBe(4);
  });

  it('leaves what is not a database error to the caller', () => {
    expect(translateDatabaseError(new TypeError('x is undefined'))).toBeUndefined();
    expect(translateDatabaseError(new MongoServerError({ code: 2, errmsg: 'BadValue' }))).toBeUndefined();
    expect(translateDatabaseError('text')).toBeUndefined();
    // An "UNIQUE constraint failed" that is not from the server is not a duplicate.
    expect(isDuplicateKeyError(new Error('UNIQUE constraint failed'))).toBe(false);
  });

  it('asTenantadmError translates what escaped the store, and calls the rest internal', () => {
    expect(exitCodeOf(asTenantadmError(new MongoNetworkError('connection 1 to h:1 closed'), at))).toBe(6);
    expect(asTenantadmError(new MongoNetworkError('connection 1 to h:1 closed'), at).message).toContain('mongodb://***@db.example:27017');
    expect(exitCodeOf(asTenantadmError(new TypeError('bug')))).toBe(1);
  });
});
