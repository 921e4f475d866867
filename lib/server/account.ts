/**
 * The signed-in user's own account: changing the password. A change revokes
 * every session of the user (the session version moves on), so a stolen
 * cookie or a forgotten signed-in browser stops working with the old password.
 */
import { z } from 'zod';
import { limits } from './config';
import { db } from '../db/client';
import { ApiError, fieldError, parseWith } from './errors';
import { checkPasswordStrength } from './password-strength';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './passwords';
import { consumeRateLimit } from './rate-limit';

const changeSchema = z.object({
  current: z.string().max(1024).optional(),
  password: z
    .string()
    .min(PASSWORD_MIN, `needs at least ${PASSWORD_MIN} characters`)
    .max(PASSWORD_MAX, `is longer than ${PASSWORD_MAX} characters`),
});

export async function changePassword(userId: string, input: unknown): Promise<{ email: string }> {
  const data = parseWith(changeSchema, input, 'password change');
  const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.passwordHash) {
    // Checking the current password is a guessing oracle too: the sign-in limit applies.
    const rl = await consumeRateLimit('password-change', user.id, { limit: limits.loginFailures, windowMs: limits.loginWindowMs });
    if (!rl.allowed) throw new ApiError(429, `Too many attempts. Try again in ${Math.ceil(rl.retryAfterSeconds / 60)} minutes.`);
    if (!data.current || !(await verifyPassword(user.passwordHash, data.current))) throw fieldError('current', 'current password: not correct');
    if (await verifyPassword(user.passwordHash, data.password)) throw fieldError('password', 'new password: the same as the current one');
  }
  const strength = checkPasswordStrength(data.password, { email: user.email, name: user.name });
  if (!strength.ok) throw fieldError('password', `new password: too easy to guess. ${strength.feedback}`);
  await db.user.update({
    where: { id: user.id },
    data: { passwordHash: await hashPassword(data.password), sessionVersion: { increment: 1 } },
  });
  await db.rateLimitEvent.deleteMany({ where: { bucket: 'password-change', key: user.id } });
  return { email: user.email };
}

export async function hasPassword(userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { passwordHash: true } });
  return !!user?.passwordHash;
}
