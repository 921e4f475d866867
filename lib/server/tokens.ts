/**
 * Secrets handed to people (API tokens, invitation links). Only their sha256
 * is stored; the secret itself is shown once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_PREFIX = 'pcl_';

export function sha256Hex(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A new API token: `pcl_` + 43 url-safe characters; `prefix` is what lists show. */
export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = API_TOKEN_PREFIX + newSecret(32);
  return { token, hash: sha256Hex(token), prefix: token.slice(0, API_TOKEN_PREFIX.length + 6) };
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(API_TOKEN_PREFIX) && /^[A-Za-z0-9_-]{20,200}$/.test(value);
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
