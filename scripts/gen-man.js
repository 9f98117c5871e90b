#!/usr/bin/env node
// Regenerate man/tenantadm.1 from the built command table (run `npm run build` first).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const { manPage } = require(path.join(root, 'dist/manpage.js'));
const { version } = require(path.join(root, 'package.json'));
fs.mkdirSync(path.join(root, 'man'), { recursive: true });
fs.writeFileSync(path.join(root, 'man/tenantadm.1'), manPage(version));
