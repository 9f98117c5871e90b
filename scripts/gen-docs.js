#!/usr/bin/env node
// Regenerate man/tenantadm.1 and README.md's generated sections (exit codes, environment)
// from the built tables (run `npm run build` first; `npm run docs` and `npm run man` do).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const { manPage } = require(path.join(root, 'dist/cli/manpage.js'));
const { updateReadme } = require(path.join(root, 'dist/cli/docs.js'));
const { version } = require(path.join(root, 'package.json'));
fs.mkdirSync(path.join(root, 'man'), { recursive: true });
fs.writeFileSync(path.join(root, 'man/tenantadm.1'), manPage(version));
const readme = path.join(root, 'README.md');
fs.writeFileSync(readme, updateReadme(fs.readFileSync(readme, 'utf8')));
