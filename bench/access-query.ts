/**
 * CPU time per query of the API access check's query (token, user, lab and
 * membership in one SELECT, lib/server/access.ts), run three ways on
 * compare-load's database with 50 queries in flight:
 *   - Prisma's $queryRaw (what the check used before 2026-12-06);
 *   - node-postgres with the text sent each time (unnamed statement: parsed and
 *     planned by PostgreSQL per query);
 *   - preparedQuery (lib/db/client.ts): a named statement, prepared once per connection.
 * Node CPU from process.cpuUsage, PostgreSQL CPU from the database's backends
 * in /proc; rounds alternate the ways, so a shared machine's load hits each alike.
 *
 *   npx tsx bench/access-query.ts [--rounds 3] [--queries 3000]
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { createCompareBenchDb } from './compare-db';
import { postgresCpuMs } from './proc-cpu';
import { sha256Hex } from '../lib/server/tokens';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const ROUNDS = opt('--rounds', 3);
const QUERIES = opt('--queries', 3000);
const IN_FLIGHT = 50;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  const fx = await createCompareBenchDb();
  const { db, closeDb, preparedQuery, Prisma } = await import('../lib/db/client');
  const plain = new pg.Pool({ connectionString: fx.databaseUrl, max: 10 });
  try {
    // The access check's query for a bearer token on a lab route, as lib/server/access.ts builds it.
    const query = Prisma.sql`
      SELECT t.id AS "tokenId", t."revokedAt", t."expiresAt", t."lastUsedAt", t."labId" AS "scopeLabId", t."readOnly",
        u.id AS "userId", u.email, u.name, l.id AS "labId", l.slug AS "labSlug", l.name AS "labName", l."publicDemo", m.role::text AS role
      FROM "ApiToken" t JOIN "User" u ON u.id = t."userId"
      LEFT JOIN "Lab" l ON l.slug = ${fx.lab.slug} LEFT JOIN "Membership" m ON m."labId" = l.id AND m."userId" = u.id
      WHERE t."tokenHash" = ${sha256Hex(fx.token)}`;
    const ways: Record<string, () => Promise<unknown>> = {
      'Prisma $queryRaw': () => db.$queryRaw(query),
      'node-postgres, text each time': () => plain.query(query.text, query.values as unknown[]),
      preparedQuery: () => preparedQuery(query),
    };
    for (const run of Object.values(ways)) for (let i = 0; i < 200; i++) await run(); // connections open, JIT warm
    console.log(`access-check query, ${IN_FLIGHT} in flight, ${QUERIES} per round; load average before: ${loadBefore}`);
    console.log('| round | way | Node CPU ms/query | PostgreSQL CPU ms/query | load average (1 min) |');
    console.log('|---|---|---:|---:|---:|');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, run] of Object.entries(ways)) {
        // Only the timed part in the window: the CPU of the backend lookup stays outside it.
        const pg0 = postgresCpuMs(fx.name);
        const cpu0 = process.cpuUsage();
        let started = 0;
        await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
          while (started++ < QUERIES) await run();
        }));
        const node = cpuMs(process.cpuUsage(cpu0)) / QUERIES;
        const pgCpu = (postgresCpuMs(fx.name) - pg0) / QUERIES;
        console.log(`| ${round} | ${name} | ${node.toFixed(3)} | ${pgCpu.toFixed(3)} | ${loadavg()[0].toFixed(2)} |`);
      }
    }
  } finally {
    await plain.end();
    await closeDb();
    await fx.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
