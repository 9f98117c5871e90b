#!/usr/bin/env node
// Regenerate man/tenantadm.1 and the generated sections of README.md and docs/*.md (exit codes,
// environment), each in the file that holds it (DOC_FILES), from the built tables
// (run `npm run build` first; `npm run docs` and `npm run man` do).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const { manPage } = require(path.join(root, 'dist/cli/manpage.js'));
const { DOC_FILES, updateDoc } = require(path.join(root, 'dist/cli/docs.js'));
const { version } = require(path.join(root, 'package.json'));
fs.mkdirSync(path.join(root, 'man'), { recursive: true });
fs.writeFileSync(path.join(root, 'man/tenantadm.1'), manPage(version));
for (const [file, sections] of Object.entries(DOC_FILES)) {
  const at = path.join(root, file);
  fs.writeFileSync(at, updateDoc(fs.readFileSync(at, 'utf8'), sections, file));
}
