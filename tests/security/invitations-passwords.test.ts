/**
 * Security finding: invitations and passwords.
 * - An invitation link let its holder sign up under any address (and before
 *   that, the form merely pre-filled the invited one): sign-up through a link
 *   must use the invited address; accepting while signed in as someone else
 *   is refused with a message naming both addresses.
 * - Passwords were checked for length only (`password12` passed): they must
 *   reach zxcvbn score 3, with the estimator's advice at the password field.
 * Through the server actions the sign-up and invitation pages post to.
 */
import { describe, expect, it } from 'vitest';
import { actAs, formOf as form, sessionToken, useTestDatabase } from '../helpers/db';
import { inviteAction } from '../../app/actions/labs';
import { acceptInvitationAction, changePasswordAction, signUpAction } from '../../app/actions/auth';
import { identityFromCookies } from '../../lib/server/access';
import { authorizeCredentials } from '../../lib/server/auth';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { checkPasswordStrength } from '../../lib/server/password-strength';
import { newDemoPassword, DEMO_EMAIL } from '../../scripts/seed-demo';

useTestDatabase();

const tokenOf = (link: string) => link.split('/invite/')[1];

let ownerId = '';
let slug = '';

async function invite(email: string, role = 'member'): Promise<string> {
  await actAs(ownerId);
  const res = await inviteAction(null, form({ lab: slug, email, role }));
  if (!res?.ok) throw new Error(`invite failed: ${JSON.stringify(res)}`);
  return tokenOf(res.data.link);
}

describe('password strength', () => {
  it('refuses guessable passwords of legal length, with the estimator advice at the password field', async () => {
    for (const weak of ['password12', 'qwertyuiop', '1234567890', 'iloveyou12', 'weakling@example.org']) {
      const r = await signUpAction(null, form({ name: 'Weak', email: 'weakling@example.org', password: weak }));
      expect(r, weak).toMatchObject({ ok: false, status: 400, field: 'password' });
      if (r && !r.ok) expect(r.error).toMatch(/^password: too easy to guess\. \S/);
    }
    const r = await signUpAction(null, form({ name: 'Weak', email: 'weakling@example.org', password: 'password12' }));
    if (r && !r.ok) expect(r.error).toMatch(/commonly used password/);
    expect(await db.user.findUnique({ where: { email: 'weakling@example.org' } })).toBeNull();
  });

  it('accepts a strong one', async () => {
    const { user, lab } = await signUp({ name: 'Olivia Owner', email: 'olivia@example.org', password: 'tundra-violin-marmalade' }, new Headers());
    ownerId = user.id;
    slug = lab.slug;
    expect(checkPasswordStrength('tundra-violin-marmalade').score).toBeGreaterThanOrEqual(3);
  });

  it('the demo user gets a password that passes the same rule', () => {
    for (let i = 0; i < 50; i++) {
      const p = newDemoPassword();
      expect(checkPasswordStrength(p, { email: DEMO_EMAIL, name: 'Demo Researcher' }).ok).toBe(true);
    }
  });
});

describe('invitations are bound to the invited address', () => {
  it('signing up through the link under another address is refused at the email field; nothing is created', async () => {
    const token = await invite('bob@example.org', 'owner');
    await actAs(null);
    const r = await signUpAction(null, form({ name: 'Mallory', email: 'mallory@example.org', password: 'obsidian-lantern-fjord', invite: token }));
    expect(r).toMatchObject({ ok: false, status: 400, field: 'email' });
    if (r && !r.ok) expect(r.error).toBe('this invitation is for bob@example.org; create the account with that address, or sign up without the invitation');
    expect(await db.user.findUnique({ where: { email: 'mallory@example.org' } })).toBeNull();
    const inv = await db.invitation.findFirstOrThrow({ where: { email: 'bob@example.org' } });
    expect(inv.acceptedAt).toBeNull();
  });

  it('an invalid or used link is refused instead of silently creating an unrelated account', async () => {
    await actAs(null);
    const bogus = await signUpAction(null, form({ name: 'X', email: 'x@example.org', password: 'obsidian-lantern-fjord', invite: 'A'.repeat(43) }));
    expect(bogus).toMatchObject({ ok: false, status: 404 });
    expect(await db.user.findUnique({ where: { email: 'x@example.org' } })).toBeNull();
  });

  it('the invited address signs up through the link and joins with the role', async () => {
    // Its own address: one open invitation per address, and bob's from the test above is still open.
    const token = await invite('iris@example.org', 'viewer');
    await actAs(null);
    const r = await signUpAction(null, form({ name: 'Iris', email: 'Iris@Example.org', password: 'saffron-glacier-piano', invite: token }));
    expect(r).toMatchObject({ ok: true, data: { labSlug: slug, joined: true } });
  });

  it('accepting while signed in as another address is refused with a message naming both', async () => {
    const token = await invite('carol@example.org');
    const { user: dave } = await signUp({ name: 'Dave', email: 'dave@example.org', password: 'heron-copper-meadow' }, new Headers());
    await actAs(dave.id);
    const r = await acceptInvitationAction(null, form({ token }));
    expect(r).toMatchObject({ ok: false, status: 403, error: 'this invitation is for carol@example.org; you are signed in as dave@example.org' });
    expect(await db.membership.findFirst({ where: { userId: dave.id, lab: { slug } } })).toBeNull();
  });
});

describe('changing the password', () => {
  it('needs the current password and a strong new one, and ends every session of the user', async () => {
    const { user } = await signUp({ name: 'Erin', email: 'erin@example.org', password: 'marble-comet-tapestry' }, new Headers());
    const oldSession = new Map([['next-auth.session-token', await sessionToken(user.id)]]);
    expect((await identityFromCookies(oldSession))?.user.id).toBe(user.id);
    await actAs(user.id);

    const wrong = await changePasswordAction(null, form({ current: 'not-my-password', password: 'lagoon-thistle-anvil' }));
    expect(wrong).toMatchObject({ ok: false, status: 400, field: 'current' });
    const weak = await changePasswordAction(null, form({ current: 'marble-comet-tapestry', password: 'password12' }));
    expect(weak).toMatchObject({ ok: false, status: 400, field: 'password' });
    if (weak && !weak.ok) expect(weak.error).toMatch(/^new password: too easy to guess\. \S/);
    expect((await identityFromCookies(oldSession))?.user.id).toBe(user.id);

    const ok = await changePasswordAction(null, form({ current: 'marble-comet-tapestry', password: 'lagoon-thistle-anvil' }));
    expect(ok).toMatchObject({ ok: true, data: { email: 'erin@example.org' } });
    expect(await identityFromCookies(oldSession)).toBeNull();
    await expect(authorizeCredentials({ email: 'erin@example.org', password: 'lagoon-thistle-anvil' }, '10.1.1.1')).resolves.toMatchObject({ id: user.id });
    await expect(authorizeCredentials({ email: 'erin@example.org', password: 'marble-comet-tapestry' }, '10.1.1.1')).rejects.toMatchObject({ code: 'invalid' });
  });
});
