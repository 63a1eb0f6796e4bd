#!/usr/bin/env node
/**
 * Builds the optional native BLAS addon (native/build/Release/rlhf_blas.node) with node-gyp.
 *
 *   node native/build.mjs              build; exit 1 with the compiler's message when it fails
 *   node native/build.mjs --optional   build if possible; on any failure print one warning and exit 0,
 *                                      so a machine without a BLAS never fails `npm install` (rlhfkit then
 *                                      simply runs matmuls on the wasm backend)
 *
 * Needs: a C compiler, make, python3 (node-gyp), and a CBLAS with OpenBLAS's extensions:
 *   Debian/Ubuntu: apt-get install libopenblas-dev      macOS: brew install openblas
 * Skipped when RLHF_NATIVE_BLAS=0. Offline-friendly: uses the headers that ship with this node binary
 * (<prefix>/include/node) instead of downloading them, when they are there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--optional');

function fail(message) {
  if (optional) {
    console.warn(`rlhfkit: native BLAS addon not built (${message}); matmuls will use the wasm backend. ` +
      'To build it later: install libopenblas-dev (or another CBLAS) and run `npm run build:native`.');
    process.exit(0);
  }
  console.error(`rlhfkit: native BLAS build failed: ${message}`);
  process.exit(1);
}

if (process.env.RLHF_NATIVE_BLAS === '0') {
  console.warn('rlhfkit: RLHF_NATIVE_BLAS=0, skipping the native BLAS addon');
  process.exit(0);
}

/** node-gyp: the one npm passes to scripts, else a local install, else the copy bundled with npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  return candidates.find((p) => existsSync(p));
}

const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found (it ships with npm; or `npm install -g node-gyp`)');

const args = [gyp, 'rebuild', '-C', here, '--loglevel=warn'];
const prefix = resolve(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { stdio: optional ? ['ignore', 'ignore', 'pipe'] : 'inherit', encoding: 'utf8' });
if (r.status !== 0) {
  const tail = (r.stderr ?? '').split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
  fail(tail || `node-gyp exited with ${r.status}`);
}
console.log(`rlhfkit: native BLAS addon built at ${join(here, 'build/Release/rlhf_blas.node')}`);
