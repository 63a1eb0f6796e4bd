#!/usr/bin/env node
// The `rlhf` command: runs the compiled CLI (npm install builds it through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack ?? err.message : String(err)); process.exitCode = 1; },
);
