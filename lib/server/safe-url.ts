/**
 * Where the portal may send a browser after sign-in, sign-up or an
 * invitation: only paths of its own origin. One function decides, for the
 * sign-in/sign-up pages and next-auth's redirect callback alike.
 *
 * Browsers "repair" what they are given: they drop tabs and newlines inside a
 * URL and read `\` as `/`, so `/\t/evil.example` or `/\evil.example` become
 * `//evil.example`, another host. Prefix checks miss those; this refuses any
 * control character, whitespace or backslash (also once percent-decoded), then
 * lets the WHATWG URL parser resolve the value against a reference origin and
 * keeps it only if the origin did not change.
 */

export const DEFAULT_AFTER_SIGN_IN = '/labs';

const REFERENCE = 'http://portal.invalid';
// Control characters, any Unicode whitespace, backslash.
const SUSPICIOUS = /[\u0000-\u001f\u007f-\u009f\s\\]/u;

function decodedOnce(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** `value` as a same-origin path (+ query + fragment), else `fallback`. */
export function sameOriginPath(value: unknown, fallback = DEFAULT_AFTER_SIGN_IN): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048) return fallback;
  if (!v.startsWith('/') || v.startsWith('//')) return fallback;
  const decoded = decodedOnce(v);
  if (decoded === null || SUSPICIOUS.test(v) || SUSPICIOUS.test(decoded) || decoded.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(v, REFERENCE);
  } catch {
    return fallback;
  }
  if (url.origin !== REFERENCE) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * next-auth's redirect callback: `url` may be a path or an absolute URL; only
 * the portal's own origin (`baseUrl`) is followed, anything else goes to the
 * default page.
 */
export function safeRedirectUrl(url: string, baseUrl: string): string {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return DEFAULT_AFTER_SIGN_IN;
  }
  let path: string | undefined;
  if (url.startsWith('/')) {
    path = url;
  } else {
    try {
      const abs = new URL(url);
      // The raw text must also be clean: the parser above already dropped tabs and newlines.
      if (abs.origin === base.origin && !SUSPICIOUS.test(url)) path = `${abs.pathname}${abs.search}${abs.hash}`;
    } catch {
      path = undefined;
    }
  }
  return new URL(sameOriginPath(path), base.origin).toString();
}
