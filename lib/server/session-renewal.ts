/**
 * Rolling sessions: a session cookie lasts limits.sessionDays (default 7)
 * from its last renewal, and proxy.ts renews it on a page request once it is
 * a day old. An active user stays signed in; a cookie left unused expires.
 * Renewal keeps the token's claims (user and session version), so a revoked
 * session stays revoked (lib/server/access.ts checks the version).
 */
import { decode, encode } from 'next-auth/jwt';
import { authSecret, limits } from './config';

export const SESSION_COOKIE_NAMES = ['__Secure-next-auth.session-token', 'next-auth.session-token'] as const;
/** A session cookie older than this is re-issued with a fresh expiry. */
export const SESSION_RENEW_AFTER_SECONDS = 24 * 3600;
export const sessionMaxAgeSeconds = () => Math.round(limits.sessionDays * 24 * 3600);

export interface RenewedCookie {
  name: string;
  value: string;
  maxAge: number;
  secure: boolean;
}

/** The renewed session cookie, or null when there is none, it is fresh, expired or not ours. */
export async function renewSessionCookie(cookies: { name: string; value: string }[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<RenewedCookie | null> {
  const cookie = cookies.find((c) => (SESSION_COOKIE_NAMES as readonly string[]).includes(c.name));
  if (!cookie) return null;
  const secret = authSecret();
  let token: Awaited<ReturnType<typeof decode>>;
  try {
    token = await decode({ token: cookie.value, secret });
  } catch {
    return null;
  }
  if (!token || typeof token.sub !== 'string') return null;
  const iat = typeof token.iat === 'number' ? token.iat : 0;
  const exp = typeof token.exp === 'number' ? token.exp : 0;
  if (exp <= nowSeconds || nowSeconds - iat < SESSION_RENEW_AFTER_SECONDS) return null;
  const { iat: _iat, exp: _exp, jti: _jti, ...claims } = token;
  const maxAge = sessionMaxAgeSeconds();
  const value = await encode({ token: claims, secret, maxAge });
  return { name: cookie.name, value, maxAge, secure: cookie.name.startsWith('__Secure-') };
}
