#!/usr/bin/env node
'use strict';
// The `switchboard` command runs the compiled TypeScript in dist/; `make
// build` makes it.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'registry', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('switchboard: not built yet; run `make build` first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
