#!/usr/bin/env node
// Build dist/tenantadm.cjs: the whole tool (driver, ioredis, prompts, bcrypt) in one file that
// runs with `node` alone, from the compiled dist/ (`npm run build` first). Prints the bundle's
// path on stdout, the size on stderr.
//   node scripts/bundle.js [--outfile FILE]      (default dist/tenantadm.cjs)
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const defaultOutfile = path.join(dist, 'tenantadm.cjs');

// The MongoDB driver's optional native or cloud add-ons (Kerberos, compression, client-side
// encryption, AWS/GCP credentials, SOCKS): the driver requires them inside try/catch when a
// connection asks for them (aws4 it probes as it loads), so left out they fail with the
// driver's own message naming the package, and only when used.
const optionalDriverDeps = [
  'kerberos',
  'snappy',
  '@mongodb-js/zstd',
  'mongodb-client-encryption',
  '@aws-sdk/credential-providers',
  'gcp-metadata',
  'aws4',
  'socks',
];

// commander loads node:child_process (and with it net, dgram, streams) at start only to run
// executable subcommands, which tenantadm has none of: load it when first used instead
// (measured: --help about 1.5 ms less CPU, of the ~12 ms it costs over node -e 0).
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) return undefined; // another commander: leave it as it is
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

async function bundle(outfile = defaultOutfile) {
  const { version } = require(path.join(root, 'package.json'));
  if (!fs.existsSync(path.join(dist, 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  await esbuild.build({
    // From the compiled modules, so that what the build generates next to them (files required
    // from dist/ at run time) is inside the bundle too.
    stdin: {
      contents: "require('./main.js').main(process.argv).then((code) => { process.exitCode = code; });",
      resolveDir: dist,
      sourcefile: 'tenantadm-bundle-entry.js',
      loader: 'js',
    },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: optionalDriverDeps,
    plugins: [lazyChildProcess],
    banner: { js: `#!/usr/bin/env node\n// tenantadm ${version}: single-file build (npm run bundle). Apache-2.0; bundled packages keep their licenses.` },
    legalComments: 'none',
    // Smaller is faster to read and compile at every start; names kept for errors and stack traces.
    minify: true,
    keepNames: true,
    charset: 'ascii',
    logLevel: 'warning',
  });
  fs.chmodSync(outfile, 0o755);
  return outfile;
}

if (require.main === module) {
  const at = process.argv.indexOf('--outfile');
  bundle(at > 0 ? path.resolve(process.argv[at + 1]) : defaultOutfile).then(
    (file) => {
      process.stderr.write(`bundle: ${(fs.statSync(file).size / 1024).toFixed(0)} KiB\n`);
      const rel = path.relative(process.cwd(), file);
      process.stdout.write(`${rel.startsWith('..') || path.isAbsolute(rel) ? file : rel}\n`);
    },
    (err) => {
      process.stderr.write(`bundle: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { bundle, defaultOutfile };
