import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERROR_CODES } from '../../src/core/errors.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(resolve(__dirname, '../../docs/errors.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| `E_[A-Z_]+` \|/.test(l));
  const documented = rows.map((l) => /^\| `(E_[A-Z_]+)`/.exec(l)![1]!);

  it('documents every error code exactly once', () => {
    for (const code of ERROR_CODES) expect(documented.filter((c) => c === code), `${code} needs one line in docs/errors.md`).toHaveLength(1);
  });

  it('documents no code that does not exist', () => {
    for (const code of documented) expect(ERROR_CODES as readonly string[]).toContain(code);
  });
});
