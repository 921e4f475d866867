import { DEFAULT_AFTER_SIGN_IN, sameOriginPath } from '@/lib/server/safe-url';

/** Only same-origin paths are followed after sign-in (no open redirects); see lib/server/safe-url.ts. */
export function safeCallbackUrl(value: string | string[] | undefined, fallback = DEFAULT_AFTER_SIGN_IN): string {
  return sameOriginPath(value, fallback);
}
