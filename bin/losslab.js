#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/main/cli/index.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/main/cli')) {
    process.stderr.write('losslab: the CLI is not built yet. Run `npm install` (or `npm run build`) in the LossLab folder first.\n');
    process.exit(1);
  }
  throw error;
}
cli.main();
