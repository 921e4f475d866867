/** Creating accounts (email + password), optionally through an invitation link. */
import { z } from 'zod';
import { clientIp, normalizeEmail } from './auth';
import { limits } from './config';
import { db } from './db';
import { ApiError, conflict, isUniqueViolation, parseWith } from './errors';
import { acceptInvitation, createPersonalLab, findInvitation } from './labs';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from './passwords';
import { consumeRateLimit } from './rate-limit';

export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  email: z.string().trim().email('is not an email address').max(320),
  password: z
    .string()
    .min(PASSWORD_MIN, `needs at least ${PASSWORD_MIN} characters`)
    .max(PASSWORD_MAX, `is longer than ${PASSWORD_MAX} characters`),
  invite: z.string().max(200).optional(),
});

/**
 * Create the account. With an invitation (for this email) the user joins that
 * lab; without one they get a lab of their own as owner.
 */
export async function signUp(input: unknown, headers: Headers) {
  const data = parseWith(signUpSchema, input, 'sign-up');
  const ip = clientIp(headers);
  const rl = await consumeRateLimit('signup', ip, { limit: limits.signupsPerHour, windowMs: 3600_000 });
  if (!rl.allowed) throw new ApiError(429, `Too many accounts created from your network. Try again in ${Math.ceil(rl.retryAfterSeconds / 60)} minutes.`);
  const email = normalizeEmail(data.email);

  const invitation = data.invite ? await findInvitation(data.invite).catch(() => null) : null;
  const passwordHash = await hashPassword(data.password);
  let user;
  try {
    user = await db.user.create({ data: { email, name: data.name, passwordHash } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('An account with this email exists already: sign in instead.');
    throw err;
  }
  if (invitation && invitation.state === 'open' && invitation.email === email) {
    const lab = await acceptInvitation(user, data.invite!);
    return { user, lab, joined: true };
  }
  const lab = await createPersonalLab(user.id, data.name);
  return { user, lab, joined: false };
}
