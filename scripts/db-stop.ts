/** npm run db:stop — stop the embedded PostgreSQL started by db:start / dev (data stays in .data/postgres). */
import { stopEmbeddedPostgres } from '../lib/db/embedded';

stopEmbeddedPostgres()
  .then((stopped) => console.log(stopped ? '[db] embedded PostgreSQL stopped' : '[db] embedded PostgreSQL is not running'))
  .catch((err) => {
    console.error(`[db] ${(err as Error).message}`);
    process.exit(1);
  });
