/**
 * The house stays walkable: no import cycle between files (type-only imports, `typeof
 * import()` and `require()` count), none between rooms, and every import goes down the
 * layers below, so a room imports only what stands below it. A new cycle or an import up the
 * layers fails here, naming the files. The graph is read with TypeScript's own pre-processor.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { SRC, sourceFiles } from '../support/source-files';

/**
 * The rooms from the ground up. A file may import files of its own room and of rooms
 * listed before it. `commands/*` is one room per command; a command never imports another.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['environment.ts'],
  ['errors.ts', 'options.ts', 'output.ts', 'progress.ts', 'color.ts'],
  ['validate.ts', 'secrets.ts'],
  ['domain/'],
  ['config.ts'],
  ['mongo.ts', 'mender/', 'token.ts'],
  ['journal/'],
  ['store/'],
  ['deps.ts'],
  ['confirm.ts', 'notices.ts'],
  ['operations/'],
  ['views/'],
  ['command.ts'],
  ['commands/*'],
  ['cli/'],
  ['main.ts'],
  ['launch.ts'],
];

export type Graph = Map<string, string[]>;

/** Every relative import of every source file, as paths from src/. */
function readGraph(): Graph {
  const files = sourceFiles(SRC).map((f) => path.relative(SRC, f));
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.join(path.dirname(from), spec).replace(/\.js$/, '');
    return [`${base}.ts`, path.join(base, 'index.ts')].find((c) => known.has(c));
  };
  const graph: Graph = new Map();
  for (const f of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(SRC, f), 'utf8'), true, true);
    const targets = info.importedFiles.filter((i) => i.fileName.startsWith('.')).map((i) => resolve(f, i.fileName));
    graph.set(f, [...new Set(targets.filter((t): t is string => t !== undefined))]);
  }
  return graph;
}

/** The strongly connected groups of more than one node (Tarjan), each sorted. */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The room a file stands in: its folder under src/ (one per command), or the file itself. */
export function roomOf(file: string): string {
  const parts = file.split(path.sep);
  if (parts[0] === 'commands' && parts.length > 2) return `commands/${parts[1]}`;
  return parts.length > 1 ? `${parts[0]}/` : file;
}

function layerOf(file: string): number {
  const room = roomOf(file);
  const key = room.startsWith('commands/') ? 'commands/*' : room;
  return LAYERS.findIndex((layer) => layer.includes(key));
}

/** The graph of rooms: an arrow where some file of one imports a file of another. */
function roomGraph(graph: Graph): Graph {
  const rooms: Graph = new Map();
  for (const [from, targets] of graph) {
    const a = roomOf(from);
    const list = rooms.get(a) ?? [];
    for (const t of targets) if (roomOf(t) !== a && !list.includes(roomOf(t))) list.push(roomOf(t));
    rooms.set(a, list);
  }
  return rooms;
}

describe('the import graph of src/', () => {
  const graph = readGraph();

  it('is read whole: every file, with the imports a reader sees', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get(path.join('cli', 'command-table.ts'))).toContain(path.join('commands', 'usage', 'run.ts'));
  });

  it('has no cycle between files (type-only imports count)', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no cycle between rooms', () => {
    expect(cycles(roomGraph(graph))).toEqual([]);
  });

  it('places every file in a layer', () => {
    expect([...graph.keys()].filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it('imports only down the layers (or within a room)', () => {
    const up: string[] = [];
    for (const [from, targets] of graph) {
      for (const t of targets) {
        if (roomOf(t) === roomOf(from)) continue;
        if (layerOf(t) >= layerOf(from)) up.push(`${from} -> ${t}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('loads the MongoDB driver and the Redis client in one place each', () => {
    const loaders = (pkg: string) =>
      [...graph.keys()].filter((f) => {
        const text = fs.readFileSync(path.join(SRC, f), 'utf8');
        return new RegExp(`require\\('${pkg}'\\)|^import (?!type)[^;]*from '${pkg}'`, 'm').test(text);
      });
    expect(loaders('mongodb')).toEqual(['mongo.ts']);
    expect(loaders('ioredis')).toEqual([path.join('mender', 'redis.ts')]);
  });
});

describe('the checks themselves', () => {
  it('find a cycle, a self-import and a cycle through a type-only import', () => {
    const g: Graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', []],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
  });

  it('see type-only imports and typeof import() in the source', () => {
    const info = ts.preProcessFile("import type { X } from './x';\ntype M = typeof import('./m');\nconst r = () => require('./r');\n", true, true);
    expect(info.importedFiles.map((i) => i.fileName).sort()).toEqual(['./m', './r', './x']);
  });

  it('give each command a room of its own', () => {
    expect(roomOf(path.join('commands', 'usage', 'run.ts'))).toBe('commands/usage');
    expect(roomOf(path.join('store', 'tenants.ts'))).toBe('store/');
    expect(roomOf('config.ts')).toBe('config.ts');
  });
});
