#!/usr/bin/env node
// npm's `prepare` (runs on `npm ci`/`npm install` in this folder, on `npm install -g .` and before
// `npm pack`): compiles dist/ and writes the single-file build, so the package works from a clean
// checkout. A checkout without its development packages (`npm install -g .` on a fresh clone) gets
// them first from the lock file (`npm ci`).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
// Under `npm install -g .` npm passes its global settings down; the build is local to this folder.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix)$/i.test(k)));
const sh = (args) => execFileSync(npm[0], [...npm.slice(1), ...args], { cwd: root, env, stdio: ['ignore', 2, 2] });

if (!fs.existsSync(path.join(root, 'node_modules', 'typescript', 'package.json'))) {
  process.stderr.write('tenantadm: installing the build tools from package-lock.json (npm ci)\n');
  sh(['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
}
// From scratch, so that no output of a source since removed or renamed ships in the package.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
sh(['run', '--silent', 'bundle']); // builds dist/ first
