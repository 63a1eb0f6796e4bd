/**
 * Loader for the optional native BLAS addon. Never throws: exports { addon, error } where `addon` is the
 * compiled module (native/build/Release/rlhf_blas.node) or null, and `error` says why it is missing.
 * src/core/nativeBlas.ts is the only intended user.
 */
'use strict';
const path = require('node:path');

let addon = null;
let error = null;
if (process.env.RLHF_NATIVE_BLAS === '0') {
  error = 'disabled by RLHF_NATIVE_BLAS=0';
} else {
  try {
    addon = require(path.join(__dirname, 'build', 'Release', 'rlhf_blas.node'));
  } catch (e) {
    error = `not built or not loadable (${e && e.code ? e.code : 'error'}: ${e && e.message ? String(e.message).split('\n')[0] : e}); run \`npm run build:native\``;
  }
}
module.exports = { addon, error };
