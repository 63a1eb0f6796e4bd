/**
 * Annotator tokens: 32 random bytes, shown once, stored only as their SHA-256 hash.
 * (Tokens carry 256 bits of entropy, so a plain hash is enough; no salt or slow KDF is needed.)
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'rlhf_';
/** `rlhf_` + 43 base64url characters. */
export const TOKEN_PATTERN = /^rlhf_[A-Za-z0-9_-]{43}$/;

/** A new random token. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of a token: SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
