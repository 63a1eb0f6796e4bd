import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from './postgres.js';

describe('numberPlaceholders', () => {
  it('numbers ? in order and leaves quoted literals alone', () => {
    expect(numberPlaceholders("SELECT * FROM t WHERE a = ? AND b = 'x?''y?' AND c IN (?, ?)")).toBe(
      "SELECT * FROM t WHERE a = $1 AND b = 'x?''y?' AND c IN ($2, $3)",
    );
    expect(numberPlaceholders('SELECT 1')).toBe('SELECT 1');
  });
});
