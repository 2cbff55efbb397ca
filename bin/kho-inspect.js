#!/usr/bin/env node
// `kho-inspect` entry point: the bundled CLI (npm run build makes dist/cli.js).
require('../dist/cli.js').cliEntry();
