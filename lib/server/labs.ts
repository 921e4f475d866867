/** Labs, memberships, invitations and personal API tokens. */
import { z } from 'zod';
import { limits } from './config';
import { db, type Role } from '../db/client';
import { badRequest, conflict, forbidden, isUniqueViolation, notFound, parseWith } from './errors';
import type { LabContext } from './access';
import { labSlug, roleSchema } from './schemas';
import { newApiToken, newSecret, sha256Hex } from './tokens';
import { normalizeEmail } from './auth';

// ---------------------------------------------------------------- labs

const createLabSchema = z.object({ name: z.string().trim().min(1, 'is required').max(100), slug: labSlug });

export function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'lab'
  );
}

export async function createLab(userId: string, input: unknown) {
  const { name, slug } = parseWith(createLabSchema, input, 'lab');
  try {
    return await db.lab.create({ data: { name, slug, memberships: { create: { userId, role: 'owner' } } } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`the lab address '${slug}' is taken; choose another`);
    throw err;
  }
}

/** A lab for a new account, with a free slug derived from the name. */
export async function createPersonalLab(userId: string, name: string) {
  const base = slugify(name);
  for (let i = 0; i < 20; i++) {
    const slug = i === 0 ? base : `${base}-${newSecret(3).toLowerCase().replace(/[^a-z0-9]/g, '') || i}`;
    try {
      return await db.lab.create({ data: { name: `${name}'s lab`, slug, memberships: { create: { userId, role: 'owner' } } } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw conflict('could not find a free lab address');
}

export function labsOf(userId: string) {
  return db.membership.findMany({
    where: { userId },
    include: { lab: true },
    orderBy: { lab: { name: 'asc' } },
  });
}

/** The lab's own row (GET and PATCH /api/v1/labs/:lab, after the access check found it). */
export function labRecord(labId: string) {
  return db.lab.findUniqueOrThrow({ where: { id: labId } });
}

// ---------------------------------------------------------------- members

export function listMembers(labId: string) {
  return db.membership.findMany({
    where: { labId },
    include: { user: { select: { id: true, name: true, email: true } } },
    orderBy: [{ role: 'asc' }, { createdAt: 'asc' }],
  });
}

async function ownerCount(labId: string) {
  return db.membership.count({ where: { labId, role: 'owner' } });
}

export async function changeMemberRole(ctx: LabContext, membershipId: string, role: unknown) {
  const newRole = parseWith(roleSchema, role, 'role');
  const m = await db.membership.findFirst({ where: { id: membershipId, labId: ctx.lab.id } });
  if (!m) throw notFound('member not found');
  if (m.role === 'owner' && newRole !== 'owner' && (await ownerCount(ctx.lab.id)) <= 1) {
    throw badRequest('a lab needs at least one owner: make someone else owner first');
  }
  return db.membership.update({ where: { id: m.id }, data: { role: newRole } });
}

export async function removeMember(ctx: LabContext, membershipId: string) {
  const m = await db.membership.findFirst({ where: { id: membershipId, labId: ctx.lab.id } });
  if (!m) throw notFound('member not found');
  if (m.role === 'owner' && (await ownerCount(ctx.lab.id)) <= 1) throw badRequest('the last owner cannot be removed');
  await db.membership.delete({ where: { id: m.id } });
}

// ---------------------------------------------------------------- invitations

const inviteSchema = z.object({ email: z.string().trim().email('is not an email address').max(320), role: roleSchema });

/** Create an invitation; returns the secret link path (shown once: only its hash is stored). */
export async function createInvitation(ctx: LabContext, input: unknown) {
  const { email, role } = parseWith(inviteSchema, input, 'invitation');
  const normalized = normalizeEmail(email);
  const already = await db.membership.findFirst({ where: { labId: ctx.lab.id, user: { email: normalized } } });
  if (already) throw conflict(`${normalized} is already a member of this lab`);
  const pending = await db.invitation.findFirst({ where: { labId: ctx.lab.id, email: normalized, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } } });
  if (pending) {
    throw conflict(`${normalized} already has an open invitation (as ${pending.role}, until ${pending.expiresAt.toISOString().slice(0, 10)}); revoke it under Open invitations to send a new one`);
  }
  const token = newSecret(32);
  const invitation = await db.invitation.create({
    data: {
      labId: ctx.lab.id,
      email: normalized,
      role,
      tokenHash: sha256Hex(token),
      expiresAt: new Date(Date.now() + limits.invitationDays * 24 * 3600 * 1000),
      invitedById: ctx.user.id,
    },
  });
  return { invitation, token, path: `/invite/${token}` };
}

export function listInvitations(labId: string) {
  return db.invitation.findMany({
    where: { labId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: 'desc' },
  });
}

export async function revokeInvitation(ctx: LabContext, invitationId: string) {
  const inv = await db.invitation.findFirst({ where: { id: invitationId, labId: ctx.lab.id } });
  if (!inv) throw notFound('invitation not found');
  await db.invitation.update({ where: { id: inv.id }, data: { revokedAt: new Date() } });
}

export type InvitationState = 'open' | 'expired' | 'accepted' | 'revoked';

/** An invitation by its link secret, for the invitation page (404 when unknown). */
export async function findInvitation(token: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw notFound('invitation not found');
  const inv = await db.invitation.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { lab: { select: { id: true, slug: true, name: true } }, invitedBy: { select: { name: true } } },
  });
  if (!inv) throw notFound('invitation not found');
  const state: InvitationState = inv.revokedAt ? 'revoked' : inv.acceptedAt ? 'accepted' : inv.expiresAt <= new Date() ? 'expired' : 'open';
  return { ...inv, state };
}

/** Join the lab with the invitation's role. Only the invited email address can accept. */
export async function acceptInvitation(user: { id: string; email: string }, token: string) {
  const inv = await findInvitation(token);
  if (inv.state !== 'open') throw badRequest(`this invitation is ${inv.state}; ask the lab owner for a new one`);
  if (normalizeEmail(user.email) !== inv.email) {
    throw forbidden(`this invitation is for ${inv.email}; you are signed in as ${user.email}`);
  }
  return db.$transaction(async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: inv.id, acceptedAt: null, revokedAt: null },
      data: { acceptedAt: new Date(), acceptedById: user.id },
    });
    if (claimed.count !== 1) throw badRequest('this invitation has just been used');
    const existing = await tx.membership.findUnique({ where: { labId_userId: { labId: inv.labId, userId: user.id } } });
    const rank: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };
    if (existing) {
      if (rank[inv.role] > rank[existing.role]) await tx.membership.update({ where: { id: existing.id }, data: { role: inv.role } });
    } else {
      await tx.membership.create({ data: { labId: inv.labId, userId: user.id, role: inv.role } });
    }
    return inv.lab;
  });
}

// ---------------------------------------------------------------- API tokens

const tokenNameSchema = z.string().trim().min(1, 'is required').max(100);

/** Expiry choices offered at creation; 'never' only when picked explicitly. */
export const TOKEN_EXPIRY_DAYS = [7, 30, 90, 365] as const;
export const DEFAULT_TOKEN_EXPIRY_DAYS = 90;

const tokenInputSchema = z
  .object({
    name: tokenNameSchema,
    /** Days from now (1–3650) or 'never'; missing → 90 days. */
    expires: z.union([z.literal('never'), z.coerce.number().int().min(1).max(3650)]).default(DEFAULT_TOKEN_EXPIRY_DAYS),
    /** A lab slug to restrict the token to; missing or '' → all of the user's labs. */
    lab: z.string().trim().max(100).optional(),
    readOnly: z.boolean().default(false),
  })
  .strict();

export type TokenScopeInput = z.input<typeof tokenInputSchema>;

/**
 * A new API token for the user: expires after `expires` days (default 90;
 * 'never' must be asked for), optionally limited to one of the user's labs
 * and to reading. The token itself is returned once.
 */
export async function createApiToken(userId: string, input: unknown) {
  const opts = parseWith(tokenInputSchema, typeof input === 'string' ? { name: input } : input, 'token');
  let labId: string | null = null;
  if (opts.lab) {
    const m = await db.membership.findFirst({ where: { userId, lab: { slug: opts.lab } }, select: { labId: true } });
    if (!m) throw badRequest(`token lab: you are not a member of a lab '${opts.lab}'`);
    labId = m.labId;
  }
  const active = await db.apiToken.count({ where: { userId, revokedAt: null } });
  if (active >= 50) throw badRequest('you have 50 active tokens; revoke some first');
  const { token, hash, prefix } = newApiToken();
  const expiresAt = opts.expires === 'never' ? null : new Date(Date.now() + opts.expires * 86_400_000);
  const row = await db.apiToken.create({ data: { userId, name: opts.name, tokenHash: hash, prefix, expiresAt, labId, readOnly: opts.readOnly } });
  return { token, row };
}

export function listApiTokens(userId: string) {
  return db.apiToken.findMany({
    where: { userId },
    select: {
      id: true,
      name: true,
      prefix: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
      expiresAt: true,
      readOnly: true,
      lab: { select: { slug: true, name: true } },
    },
    orderBy: { createdAt: 'desc' },
  });
}

export async function revokeApiToken(userId: string, tokenId: string) {
  const res = await db.apiToken.updateMany({ where: { id: tokenId, userId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (res.count === 0) throw notFound('token not found');
}
