/**
 * The portal's security headers.
 * Pages, set per request by proxy.ts: Content-Security-Policy with a fresh
 *   nonce per request (Next.js reads it from the request's CSP header and puts
 *   it on its own scripts), framing forbidden (frame-ancestors 'none'), no
 *   plugins, forms and base URLs to this origin only.
 * The data API (/api/v1/…, which the proxy does not run for): a fixed CSP
 *   that lets nothing in an API response run or load, and nothing frame it
 *   (static, next.config.js, so Next.js's own 404 and 405 answers under
 *   /api/v1 carry it too).
 * Both: Strict-Transport-Security when the request came over HTTPS
 *   (lib/server/https.ts): proxy.ts for pages, withLab and withUser for the
 *   data API. X-Content-Type-Options, Referrer-Policy, X-Frame-Options and
 *   Permissions-Policy are static (next.config.js).
 */
import { HSTS_VALUE, requestIsHttps } from './https';

export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64');
}

export function contentSecurityPolicy(nonce: string, opts: { dev: boolean; https: boolean }): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonce'd Next.js runtime loads are trusted too. React's
    // development build needs eval for its error overlays; production does not.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Style ATTRIBUTES only: React renders `style={{…}}` props (chart sizes, bar widths,
    // layout tweaks) as style="…" in the server HTML, and a few chart helpers set the
    // attribute. Style attributes cannot run script; <style> elements still need the nonce.
    // (D3's .style() writes through the CSSOM, which CSP does not restrict.)
    "style-src-attr 'unsafe-inline'",
    // Chart PNG export draws the SVG through a blob:/data: image; thumbnails are same-origin.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(opts.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** Headers for one request: the CSP (and its nonce) and, over HTTPS, HSTS. */
export function securityHeadersFor(requestHeaders: Headers, dev = process.env.NODE_ENV === 'development') {
  const nonce = newNonce();
  const https = requestIsHttps(requestHeaders);
  const headers: Record<string, string> = { 'Content-Security-Policy': contentSecurityPolicy(nonce, { dev, https }) };
  if (https) headers['Strict-Transport-Security'] = HSTS_VALUE;
  return { nonce, https, headers };
}

/**
 * `response` with Strict-Transport-Security when the request came over HTTPS: the data
 * API's one per-request security header (withLab and withUser set it on every response
 * they build; the rest of the API's headers are static, next.config.js).
 */
export function withApiSecurityHeaders(requestHeaders: Headers, response: Response): Response {
  if (!requestIsHttps(requestHeaders)) return response;
  try {
    response.headers.set('Strict-Transport-Security', HSTS_VALUE);
    return response;
  } catch {
    // Headers of some responses (Response.redirect, fetched ones) are immutable: copy it.
    const copy = new Response(response.body, response);
    copy.headers.set('Strict-Transport-Security', HSTS_VALUE);
    return copy;
  }
}
