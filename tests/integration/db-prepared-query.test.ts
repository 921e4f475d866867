/**
 * preparedQuery (lib/db/client.ts): the access check and the view cache's stamps
 * run as named prepared statements on Prisma's pool; their rows must read as
 * Prisma's would, in any time zone, and each text must keep its own statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { db, preparedQuery, Prisma } from '../../lib/db/client';

useTestDatabase();

describe('preparedQuery', () => {
  const zone = process.env.TZ;
  // A zone far from UTC: node-postgres alone would read timestamp(3) as local time, 5 hours off.
  beforeAll(() => {
    process.env.TZ = 'America/New_York';
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads timestamp(3) columns as the same UTC instants as Prisma, and NULL as null', async () => {
    expect(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset()).toBe(300);
    const at = new Date('2026-12-06T04:52:21.123Z');
    const user = await db.user.create({ data: { email: 'tz@example.org', name: 'Tz', passwordHash: 'x', createdAt: at } });
    const token = await db.apiToken.create({ data: { userId: user.id, name: 't', prefix: 'pcl_tz', tokenHash: 'tz-hash' } });
    const [row] = await preparedQuery<{ createdAt: Date; revokedAt: Date | null }>(Prisma.sql`
      SELECT u."createdAt", t."revokedAt" FROM "User" u JOIN "ApiToken" t ON t."userId" = u.id WHERE t.id = ${token.id}`);
    expect(row.createdAt).toBeInstanceOf(Date);
    expect(row.createdAt.toISOString()).toBe(at.toISOString());
    const [viaPrisma] = await db.$queryRaw<{ createdAt: Date }[]>`SELECT "createdAt" FROM "User" WHERE id = ${user.id}`;
    expect(row.createdAt.getTime()).toBe(viaPrisma.createdAt.getTime());
    expect(row.revokedAt).toBeNull();
  });

  it('keeps one statement per text: many calls with other values, interleaved with another query, on every connection', async () => {
    const users = await Promise.all(
      Array.from({ length: 5 }, (_, i) => db.user.create({ data: { email: `p${i}@example.org`, name: `P${i}`, passwordHash: 'x' } })),
    );
    // More calls in flight than the pool has connections: each connection prepares both texts.
    const calls = Array.from({ length: 60 }, async (_, i) => {
      const u = users[i % users.length];
      if (i % 2 === 0) {
        const rows = await preparedQuery<{ email: string }>(Prisma.sql`SELECT email FROM "User" WHERE id = ${u.id}`);
        return rows[0].email === u.email;
      }
      const rows = await preparedQuery<{ name: string; n: number }>(Prisma.sql`SELECT name, length(name) AS n FROM "User" WHERE id = ${u.id}`);
      return rows[0].name === u.name && rows[0].n === u.name.length;
    });
    expect(await Promise.all(calls)).toEqual(calls.map(() => true));
  });

  it('sees writes at once: nothing is kept between calls but the statement', async () => {
    const user = await db.user.create({ data: { email: 'w@example.org', name: 'Before', passwordHash: 'x' } });
    const read = async () => (await preparedQuery<{ name: string }>(Prisma.sql`SELECT name FROM "User" WHERE id = ${user.id}`))[0]?.name;
    expect(await read()).toBe('Before');
    await db.user.update({ where: { id: user.id }, data: { name: 'After' } });
    expect(await read()).toBe('After');
    await db.user.delete({ where: { id: user.id } });
    expect(await read()).toBeUndefined();
  });
});
