/**
 * npm run db:start — make the portal's database ready:
 *  - DATABASE_URL set: apply the migrations to it;
 *  - otherwise: initialise (first time) and start the embedded PostgreSQL in
 *    .data/postgres in the background, then apply the migrations.
 */
import { startEmbeddedPostgres } from '../lib/db/embedded';
import { migrateDeploy } from '../lib/db/migrate';

const log = (m: string) => console.log(`[db] ${m}`);

export async function ensureDatabase(): Promise<string> {
  let url = process.env.DATABASE_URL;
  if (url) {
    log('using DATABASE_URL');
  } else {
    url = (await startEmbeddedPostgres(undefined, log)).url;
    log(`embedded PostgreSQL ready: ${url.replace(/:[^:@/]+@/, ':***@')}`);
  }
  const out = await migrateDeploy(url);
  log(/No pending migrations/i.test(out) ? 'migrations: up to date' : 'migrations: applied');
  return url;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDatabase().catch((err) => {
    console.error(`[db] ${(err as Error).message}`);
    process.exit(1);
  });
}
