/** Invitations: an owner invites by email and role; the invitee signs up (or signs in) through the link and joins with that role. */
import { describe, expect, it } from 'vitest';
import { actAs, formOf as form, useTestDatabase } from '../helpers/db';
import { inviteAction, revokeInvitationAction } from '../../app/actions/labs';
import { acceptInvitationAction, signUpAction } from '../../app/actions/auth';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { sha256Hex } from '../../lib/server/tokens';

useTestDatabase();

const tokenOf = (link: string) => link.split('/invite/')[1];

describe('invitations', () => {
  let ownerId = '';
  let slug = '';

  it('are created by owners only; the link holds a secret stored as a hash', async () => {
    const { user, lab } = await signUp({ name: 'Olivia Owner', email: 'olivia@example.org', password: 'owner-password' }, new Headers());
    ownerId = user.id;
    slug = lab.slug;
    await actAs(ownerId);
    const res = await inviteAction(null, form({ lab: slug, email: 'Newbie@Example.org', role: 'member' }));
    expect(res?.ok).toBe(true);
    if (!res?.ok) return;
    expect(res.data.email).toBe('newbie@example.org');
    const token = tokenOf(res.data.link);
    const row = await db.invitation.findFirstOrThrow({ where: { email: 'newbie@example.org' } });
    expect(row.tokenHash).toBe(sha256Hex(token));
    expect(row.role).toBe('member');
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
  });

  it('validate email and role', async () => {
    await actAs(ownerId);
    const bad = await inviteAction(null, form({ lab: slug, email: 'nope', role: 'admin' }));
    expect(bad).toMatchObject({ ok: false, status: 400 });
    if (bad && !bad.ok) {
      expect(bad.error).toMatch(/email: is not an email address/);
      expect(bad.error).toMatch(/role/);
    }
  });

  it('a new person signs up through the link and joins with the role (no lab of their own)', async () => {
    await actAs(ownerId);
    const res = await inviteAction(null, form({ lab: slug, email: 'nina@example.org', role: 'viewer' }));
    if (!res?.ok) throw new Error('invite failed');
    await actAs(null);
    const signed = await signUpAction(null, form({ name: 'Nina', email: 'nina@example.org', password: 'nina-viewer-pass-1', invite: tokenOf(res.data.link) }));
    expect(signed).toMatchObject({ ok: true, data: { labSlug: slug, joined: true } });
    const user = await db.user.findUniqueOrThrow({ where: { email: 'nina@example.org' }, include: { memberships: { include: { lab: true } } } });
    expect(user.memberships.map((m) => [m.lab.slug, m.role])).toEqual([[slug, 'viewer']]);
    const inv = await db.invitation.findFirstOrThrow({ where: { email: 'nina@example.org' } });
    expect(inv.acceptedById).toBe(user.id);
    expect(inv.acceptedAt).not.toBeNull();
  });

  it('an existing user signs in and accepts; the link works once', async () => {
    const { user: sam } = await signUp({ name: 'Sam', email: 'sam@example.org', password: 'sam-member-pass-1' }, new Headers());
    await actAs(ownerId);
    const res = await inviteAction(null, form({ lab: slug, email: 'sam@example.org', role: 'member' }));
    if (!res?.ok) throw new Error('invite failed');
    const token = tokenOf(res.data.link);

    await actAs(null);
    expect(await acceptInvitationAction(null, form({ token }))).toMatchObject({ ok: false, status: 401 });

    await actAs(sam.id);
    expect(await acceptInvitationAction(null, form({ token }))).toMatchObject({ ok: true, data: { labSlug: slug } });
    expect(await db.membership.findFirst({ where: { userId: sam.id, lab: { slug } } })).toMatchObject({ role: 'member' });
    const again = await acceptInvitationAction(null, form({ token }));
    expect(again).toMatchObject({ ok: false, status: 400 });
    if (again && !again.ok) expect(again.error).toMatch(/accepted/);
  });

  it('only the invited address can accept', async () => {
    const { user: eve } = await signUp({ name: 'Eve', email: 'eve@example.org', password: 'eve-outsider-pass-1' }, new Headers());
    await actAs(ownerId);
    const res = await inviteAction(null, form({ lab: slug, email: 'bob@example.org', role: 'owner' }));
    if (!res?.ok) throw new Error('invite failed');
    await actAs(eve.id);
    const r = await acceptInvitationAction(null, form({ token: tokenOf(res.data.link) }));
    expect(r).toMatchObject({ ok: false, status: 403 });
    expect(await db.membership.findFirst({ where: { userId: eve.id, lab: { slug } } })).toBeNull();
    // Signing up with the link under another address is refused at the email field; no account is created.
    await actAs(null);
    const s = await signUpAction(null, form({ name: 'Mallory', email: 'mallory@example.org', password: 'mallory-pass-1234', invite: tokenOf(res.data.link) }));
    expect(s).toMatchObject({ ok: false, status: 400, field: 'email' });
    if (s && !s.ok) expect(s.error).toMatch(/this invitation is for bob@example\.org/);
    expect(await db.user.findUnique({ where: { email: 'mallory@example.org' } })).toBeNull();
  });

  it('expired, revoked and unknown links are refused', async () => {
    const { user: late } = await signUp({ name: 'Late', email: 'late@example.org', password: 'late-joiner-pass-1' }, new Headers());
    await actAs(ownerId);
    const a = await inviteAction(null, form({ lab: slug, email: 'late@example.org', role: 'member' }));
    if (!a?.ok) throw new Error('invite failed');
    await db.invitation.update({ where: { tokenHash: sha256Hex(tokenOf(a.data.link)) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    // The expired one no longer blocks a new invitation to the same address.
    const b = await inviteAction(null, form({ lab: slug, email: 'late@example.org', role: 'member' }));
    if (!b?.ok) throw new Error('invite failed');
    const revokeId = (await db.invitation.findUniqueOrThrow({ where: { tokenHash: sha256Hex(tokenOf(b.data.link)) } })).id;
    expect(await revokeInvitationAction(null, form({ lab: slug, invitationId: revokeId }))).toMatchObject({ ok: true });

    await actAs(late.id);
    const expired = await acceptInvitationAction(null, form({ token: tokenOf(a.data.link) }));
    expect(expired).toMatchObject({ ok: false, status: 400 });
    if (expired && !expired.ok) expect(expired.error).toMatch(/expired/);
    const revoked = await acceptInvitationAction(null, form({ token: tokenOf(b.data.link) }));
    if (revoked && !revoked.ok) expect(revoked.error).toMatch(/revoked/);
    expect(await acceptInvitationAction(null, form({ token: 'A'.repeat(43) }))).toMatchObject({ ok: false, status: 404 });
    expect(await db.membership.findFirst({ where: { userId: late.id, lab: { slug } } })).toBeNull();
  });

  it('one open invitation per address: a second is refused until the first is revoked', async () => {
    await actAs(ownerId);
    const first = await inviteAction(null, form({ lab: slug, email: 'twice@example.org', role: 'member' }));
    if (!first?.ok) throw new Error('invite failed');
    const second = await inviteAction(null, form({ lab: slug, email: 'Twice@Example.org', role: 'viewer' }));
    expect(second).toMatchObject({ ok: false, status: 409 });
    if (second && !second.ok) expect(second.error).toMatch(/^twice@example\.org already has an open invitation \(as member, until \d{4}-\d\d-\d\d\); revoke it/);
    expect(await db.invitation.count({ where: { email: 'twice@example.org' } })).toBe(1);
    const id = (await db.invitation.findFirstOrThrow({ where: { email: 'twice@example.org' } })).id;
    expect(await revokeInvitationAction(null, form({ lab: slug, invitationId: id }))).toMatchObject({ ok: true });
    expect(await inviteAction(null, form({ lab: slug, email: 'twice@example.org', role: 'viewer' }))).toMatchObject({ ok: true });
  });

  it('members and viewers cannot invite (403)', async () => {
    const sam = await db.user.findUniqueOrThrow({ where: { email: 'sam@example.org' } });
    await actAs(sam.id);
    expect(await inviteAction(null, form({ lab: slug, email: 'x@example.org', role: 'owner' }))).toMatchObject({ ok: false, status: 403 });
    const nina = await db.user.findUniqueOrThrow({ where: { email: 'nina@example.org' } });
    await actAs(nina.id);
    expect(await inviteAction(null, form({ lab: slug, email: 'x@example.org', role: 'viewer' }))).toMatchObject({ ok: false, status: 403 });
  });
});
