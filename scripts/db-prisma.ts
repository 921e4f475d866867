/**
 * npm run db:prisma -- <args> — the Prisma CLI against the portal's database
 * (DATABASE_URL, else the embedded PostgreSQL, started if needed). For
 * authoring migrations: `npm run db:prisma -- migrate dev --name add_x`.
 */
import { startEmbeddedPostgres } from '../lib/db/embedded';
import { prismaCli } from '../lib/db/migrate';

async function main() {
  const url = process.env.DATABASE_URL || (await startEmbeddedPostgres(undefined, (m) => console.log(`[db] ${m}`))).url;
  await prismaCli(process.argv.slice(2), url, { inherit: true });
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
