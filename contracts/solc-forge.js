#!/usr/bin/env node
// A solc command line over the pinned solc-js, for forge (contracts-test):
// forge cannot download a native solc here, so foundry.toml points it at
// this script. It answers the two calls forge makes: `--version` and
// `--standard-json` (input on stdin, output on stdout); other flags
// (--allow-paths, --base-path, --include-path) are accepted and ignored,
// as forge puts every source's content in the input.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  // forge parses the last line as "Version: X.Y.Z+commit.HASH...".
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  console.error('solc-forge.js: only --version and --standard-json are supported');
  process.exit(2);
}
const input = fs.readFileSync(0, 'utf8');
const base = process.cwd();
const findImports = (p) => {
  const f = path.resolve(base, p);
  return fs.existsSync(f) ? { contents: fs.readFileSync(f, 'utf8') } : { error: 'not found: ' + p };
};
process.stdout.write(solc.compile(input, { import: findImports }));
