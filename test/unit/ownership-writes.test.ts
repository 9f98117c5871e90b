/**
 * Ownership is decided by inserts only (issue 18, finding 1): FerretDB applies an update as
 * read, modify, write, not atomically between connections, so a compare-and-set update of an
 * ownership document can be undone by another process's write. The lock and lease collections
 * therefore only ever receive inserts and deletes. This reads the source: every handle on
 * them is made in journal/journal.ts and wrapped at once in LockTable (locks.ts) or Chains
 * (ownership.ts), whose writes are inserts and deletes; elsewhere the collections are only read.
 * test/e2e/journal.test.ts watches the commands sent while owners race, for the same property.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SRC, sourceFiles } from '../support/source-files';

const OWNERSHIP_FILES = ['journal/locks.ts', 'journal/ownership.ts'];
/** What may be called on an ownership collection: reads, inserts, deletes. */
const ALLOWED = new Set(['insertOne', 'insertMany', 'deleteOne', 'deleteMany', 'find', 'findOne', 'countDocuments', 'db', 'collectionName']);
/** Every write that changes a document in place, or may (bulkWrite), anywhere in the driver's API. */
const MUTATORS = /\b(updateOne|updateMany|replaceOne|findOneAndUpdate|findOneAndReplace|bulkWrite|\$set|\$unset|\$inc)\b/;

const read = (rel: string) => fs.readFileSync(path.join(SRC, rel), 'utf8');
const files = sourceFiles(SRC).map((f) => path.relative(SRC, f));

describe('the ownership collections (locks, leases) only ever receive inserts and deletes', () => {
  it('locks.ts and ownership.ts send no update of any kind', () => {
    for (const rel of OWNERSHIP_FILES) {
      const code = read(rel)
        .split('\n')
        .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
        .join('\n');
      expect({ rel, mutators: code.match(new RegExp(MUTATORS, 'g')) ?? [] }).toEqual({ rel, mutators: [] });
      const calls = [...code.matchAll(/this\.coll\.(\w+)/g)].map((m) => m[1]!);
      expect({ rel, calls: calls.filter((c) => !ALLOWED.has(c)) }).toEqual({ rel, calls: [] });
    }
  });

  it('their handles are made in journal.ts only, and go straight into LockTable and Chains', () => {
    const makers = files.filter((rel) => /collection(<[^>]*>)?\((LOCKS|LEASES)\)/.test(read(rel)));
    expect(makers).toEqual(['journal/journal.ts']);
    const journal = read('journal/journal.ts');
    const made = [...journal.matchAll(/.*collection(<[^>]*>)?\((LOCKS|LEASES)\).*/g)].map((m) => m[0].trim());
    expect(made).toEqual([expect.stringMatching(/^this\.locks = new LockTable\(/), expect.stringMatching(/^this\.chains = new Chains\(/)]);
    // Their names appear nowhere else as collection names.
    const named = files.filter((rel) => rel !== 'journal/journal.ts' && /collection(<[^>]*>)?\(\s*['"`]tenantadm_(locks|leases)/.test(read(rel)));
    expect(named).toEqual([]);
  });

  it('elsewhere, a wrapped handle is only read, inserted into or deleted from', () => {
    for (const rel of files) {
      const calls = [...read(rel).matchAll(/(?:locks|chains)\.coll\.(\w+)/g)].map((m) => m[1]!);
      expect({ rel, calls: calls.filter((c) => !ALLOWED.has(c)) }).toEqual({ rel, calls: [] });
    }
  });

  it('the journal document is only inserted and deleted too: decisions about it come from the chain', () => {
    const calls = [...read('journal/journal.ts').matchAll(/this\.journal\.(\w+)/g)].map((m) => m[1]!);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !ALLOWED.has(c))).toEqual([]);
  });

  it('check.ts reads them only (a stream of documents)', () => {
    const lines = read('store/check.ts')
      .split('\n')
      .filter((l) => /\b(LOCKS|LEASES)\b/.test(l) && !/^import /.test(l));
    for (const line of lines) expect(line).toMatch(/this\.stream\(|const own = new Set|collection: (LOCKS|LEASES)/);
  });
});
