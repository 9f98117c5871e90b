/**
 * How bin/tenantadm starts the tool: the single-file build (dist/tenantadm.cjs) when it is the
 * current build (see launch), loaded with a V8 code cache so that its 1.4 MB are not
 * compiled again on every run (Node 20 has no module.enableCompileCache); else dist/main.js.
 * Kept out of the bundle and free of dependencies (but the import-free table of variable names):
 * it runs before anything else is loaded.
 */
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { ENV } from './environment';

/** Node's own CommonJS module wrapper (the parameters a module body sees). */
const CJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'] as const;

const stat = (file: string): fs.Stats | undefined => fs.statSync(file, { throwIfNoEntry: false });

/**
 * Help and version need little of the bundle, a command needs the driver: each keeps the code its
 * own runs compiled, so neither pays to load what it does not run.
 */
function runKind(argv: string[]): 'help' | 'command' {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  return !command || command === 'help' || args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V') ? 'help' : 'command';
}

/** FNV-1a of a string, in hex: names a bundle's place without loading node:crypto. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * Where compiled code is kept: per user, per bundle (its path: two installs do not evict each
 * other), per build of it and per Node version. TENANTADM_CACHE_DIR=off disables it.
 */
function cacheFile(bundle: string, built: fs.Stats): { file: string; place: string } | undefined {
  const dir = process.env[ENV.cacheDir] ?? path.join(process.env[ENV.xdgCacheHome] || path.join(os.homedir(), '.cache'), 'tenantadm', 'v8');
  if (dir === 'off') return undefined;
  const place = `tenantadm-${fnv1a(bundle)}-`;
  const build = `${place}${built.size}-${Math.trunc(built.mtimeMs)}-${process.version}-${process.arch}`;
  return { file: path.join(dir, `${build}-${runKind(process.argv)}.cache`), place };
}

/** Stores the code V8 compiled during this run, for the next one; a cache that cannot be written is no error. */
function saveCache(script: vm.Script, { file, place }: { file: string; place: string }): void {
  const tmp = `${file}.${process.pid}`;
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    // Opened before the cache is made: where nothing can be written, no time goes into making it.
    const fd = fs.openSync(tmp, 'w');
    try {
      const data = script.createCachedData();
      for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    // Caches of earlier builds of this bundle, or for another Node version, are dead weight.
    const build = path.basename(file).replace(/-[a-z]+\.cache$/, '');
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(place) && old.endsWith('.cache') && !old.startsWith(`${build}-`)) fs.rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    // read-only home, full disk: the next run compiles again
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do
    }
  }
}

/** Runs the bundle as the main module would, with its code cache when there is a valid one. */
function runBundle(bundle: string, built: fs.Stats): void {
  // One flat string, made in one copy: esbuild writes ASCII only (charset: ascii), so latin1 needs no
  // decoding, and V8 would otherwise flatten a concatenated string before every compile.
  const code = fs.readFileSync(bundle);
  if (code[0] === 0x23 && code[1] === 0x21) code.write('//', 0, 'latin1'); // #! -> //: not first in the wrapper
  const source = Buffer.concat([Buffer.from(CJS_WRAPPER[0], 'latin1'), code, Buffer.from(CJS_WRAPPER[1], 'latin1')]).toString('latin1');
  const cache = cacheFile(bundle, built);
  let cachedData: Buffer | undefined;
  try {
    cachedData = cache ? fs.readFileSync(cache.file) : undefined;
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: bundle, cachedData });
  if (cache && (!cachedData || script.cachedDataRejected)) {
    // At exit, so that the functions this run compiled lazily are in the cache too.
    process.once('exit', () => saveCache(script, cache));
  }
  const mod = new Module(bundle, require.main);
  mod.filename = bundle;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
}

/**
 * An installed package (no src/ beside dist/) ships both builds from the same sources: the bundle.
 * In a checkout, whichever was built last (npm extracts files in no particular order, so modified
 * times only tell in a checkout).
 */
export function launch(dist: string): void {
  const bundle = path.join(dist, 'tenantadm.cjs');
  const built = process.env[ENV.noBundle] ? undefined : stat(bundle);
  if (built) {
    const checkout = stat(path.join(dist, '..', 'src'))?.isDirectory();
    if (!checkout || built.mtimeMs >= (stat(path.join(dist, 'main.js'))?.mtimeMs ?? 0)) {
      runBundle(bundle, built);
      return;
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./main') as typeof import('./main')).main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
