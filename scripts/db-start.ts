/**
 * npm run db:start — make the portal's database ready:
 *  - DATABASE_URL set: apply the migrations to it;
 *  - otherwise: initialise (first time) and start the embedded PostgreSQL in
 *    .data/postgres in the background, then apply the migrations.
 */
import { startEmbeddedPostgres } from '../lib/db/embedded';
import { migrateDeploy } from '../lib/db/migrate';

const log = (m: string) => console.log(`[db] ${m}`);

/** Returns the database URL and whether this call started the embedded server. */
export async function ensureDatabase(): Promise<{ url: string; startedEmbedded: boolean }> {
  let url = process.env.DATABASE_URL;
  let startedEmbedded = false;
  if (url) {
    log('using DATABASE_URL');
  } else {
    const res = await startEmbeddedPostgres(undefined, log);
    url = res.url;
    startedEmbedded = res.started;
    log(`embedded PostgreSQL ready: ${url.replace(/:[^:@/]+@/, ':***@')}`);
  }
  const out = await migrateDeploy(url);
  log(/No pending migrations/i.test(out) ? 'migrations: up to date' : 'migrations: applied');
  return { url, startedEmbedded };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDatabase().catch((err) => {
    console.error(`[db] ${(err as Error).message}`);
    process.exit(1);
  });
}
