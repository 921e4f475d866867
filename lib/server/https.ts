/**
 * Is this request served over HTTPS? True when NEXTAUTH_URL is an https URL
 * (the portal's public address), or when a trusted reverse proxy says so:
 * `X-Forwarded-Proto: https` counts only with PCACE_TRUST_PROXY=1 (or
 * PCACE_TRUSTED_PROXIES ≥ 1), because any client can send that header and a
 * portal reached directly must not believe it. Decides Secure cookies and HSTS.
 */

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

export function trustProxy(): boolean {
  return process.env.PCACE_TRUST_PROXY === '1' || (Number(process.env.PCACE_TRUSTED_PROXIES ?? 0) || 0) > 0;
}

export function publicUrlIsHttps(): boolean {
  return (process.env.NEXTAUTH_URL ?? '').toLowerCase().startsWith('https://');
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The first (client-facing) protocol a trusted proxy reports. */
export function forwardedProtoIsHttps(headers: HeaderSource): boolean {
  if (!trustProxy()) return false;
  const proto = headerValue(headers, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return proto === 'https';
}

export function requestIsHttps(headers: HeaderSource): boolean {
  return publicUrlIsHttps() || forwardedProtoIsHttps(headers);
}

/** HSTS for https responses: a year, subdomains included (the portal never serves plain HTTP there). */
export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';
