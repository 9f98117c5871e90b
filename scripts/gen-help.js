#!/usr/bin/env node
// Render every --help text with the built parser into dist/cli/help.json, so that help is answered
// without loading the parser (dist/cli/help.js). Run after tsc (`npm run build` does).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
const { parse } = require(path.join(dist, 'cli/parse.js'));
const { commands } = require(path.join(dist, 'cli/command-table.js'));
const { version } = require(path.join(dist, '..', 'package.json'));

function render(args) {
  let out = '';
  const outcome = parse(['node', 'tenantadm', ...args], version, { out: (s) => (out += s), err: () => undefined });
  if (outcome.kind !== 'exit' || outcome.code !== 0) throw new Error(`help for ${args.join(' ')} did not end with exit 0`);
  return out;
}

const help = { program: render(['--help']), commands: {} };
for (const c of commands) {
  for (const name of [c.name, ...c.aliases]) help.commands[name] = render([...name.split(' '), '--help']);
}
fs.writeFileSync(path.join(dist, 'cli', 'help.json'), `${JSON.stringify(help)}\n`);
