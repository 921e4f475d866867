/**
 * The committed migrations are the schema: replaying them (in a throw-away
 * shadow database, through the offline migrate adapter) gives exactly
 * prisma/schema.prisma. Fails when the schema was edited without a migration
 * (`npm run db:prisma -- migrate dev --name <change>` makes one).
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { prismaCli } from '../../lib/db/migrate';

const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function shadowDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'")).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

describe('migrations', () => {
  it('replay to exactly the Prisma schema, and leave no shadow database behind', async () => {
    const before = await shadowDatabases();
    const out = await prismaCli(['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema-datamodel', 'prisma/schema.prisma', '--exit-code'], BASE_URL);
    expect(out).toMatch(/No difference detected/);
    expect(await shadowDatabases()).toEqual(before);
  });
});
