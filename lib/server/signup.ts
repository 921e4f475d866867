/** Creating accounts (email + password), optionally through an invitation link. */
import { z } from 'zod';
import { clientIp, normalizeEmail } from './auth';
import { limits } from './config';
import { db } from '../db/client';
import { ApiError, badRequest, conflict, fieldError, isUniqueViolation, notFound, parseWith } from './errors';
import { acceptInvitation, createPersonalLab, findInvitation } from './labs';
import { checkPasswordStrength } from './password-strength';
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
 * Create the account. With an invitation the user joins that lab: the account
 * must be for the invited address (a link that reached someone else does not
 * let them in under another address, nor create an account "for" the invitee
 * from a different one), and the invitation must still be open. Without one
 * they get a lab of their own as owner. Passwords must be hard to guess
 * (lib/server/password-strength.ts); the estimator's advice comes back at the
 * password field.
 */
export async function signUp(input: unknown, headers: Headers) {
  const data = parseWith(signUpSchema, input, 'sign-up');
  const email = normalizeEmail(data.email);

  let invitation: Awaited<ReturnType<typeof findInvitation>> | null = null;
  if (data.invite) {
    invitation = await findInvitation(data.invite).catch(() => null);
    if (!invitation) throw notFound('this invitation link is not valid; ask the lab owner for a new one');
    if (invitation.state !== 'open') throw badRequest(`this invitation is ${invitation.state}; ask the lab owner for a new one`);
    if (invitation.email !== email) {
      throw fieldError('email', `this invitation is for ${invitation.email}; create the account with that address, or sign up without the invitation`);
    }
  }
  const strength = checkPasswordStrength(data.password, { email, name: data.name });
  if (!strength.ok) throw fieldError('password', `password: too easy to guess. ${strength.feedback}`);

  const ip = clientIp(headers);
  const rl = await consumeRateLimit('signup', ip, { limit: limits.signupsPerHour, windowMs: 3600_000 });
  if (!rl.allowed) throw new ApiError(429, `Too many accounts created from your network. Try again in ${Math.ceil(rl.retryAfterSeconds / 60)} minutes.`);

  const passwordHash = await hashPassword(data.password);
  let user;
  try {
    user = await db.user.create({ data: { email, name: data.name, passwordHash } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('An account with this email exists already: sign in instead.');
    throw err;
  }
  if (invitation) {
    const lab = await acceptInvitation(user, data.invite!);
    return { user, lab, joined: true };
  }
  const lab = await createPersonalLab(user.id, data.name);
  return { user, lab, joined: false };
}
