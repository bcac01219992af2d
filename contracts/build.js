// Compiles src/*.sol with the pinned solc-js and writes, for each contract,
// <out>/<Name>.abi (JSON) and <out>/<Name>.bin (hex creation bytecode).
// Usage: node build.js OUTDIR
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const out = process.argv[2];
if (!out) {
  console.error('usage: node build.js OUTDIR');
  process.exit(2);
}
const src = path.join(__dirname, 'src');
const sources = {};
for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(src, f), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'prague',
    // No metadata hash: the bytecode depends on the sources only, so a
    // check of committed artefacts is stable across machines.
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const findImports = (p) => {
  const f = path.join(src, p);
  return fs.existsSync(f) ? { contents: fs.readFileSync(f, 'utf8') } : { error: 'not found: ' + p };
};
const res = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
let failed = false;
for (const e of res.errors || []) {
  console.error(e.formattedMessage);
  if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);
fs.mkdirSync(out, { recursive: true });
for (const file of Object.keys(res.contracts).sort()) {
  for (const [name, c] of Object.entries(res.contracts[file])) {
    fs.writeFileSync(path.join(out, name + '.abi'), JSON.stringify(c.abi, null, 1) + '\n');
    fs.writeFileSync(path.join(out, name + '.bin'), c.evm.bytecode.object + '\n');
  }
}
console.log('solc ' + solc.version() + ': ' + Object.keys(sources).join(', ') + ' -> ' + out);
