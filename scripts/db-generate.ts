/** npm run db:generate (also postinstall) — generate the Prisma client into lib/db/generated. Offline; no database needed. */
import { PLACEHOLDER_URL, prismaCli } from '../lib/db/migrate';

prismaCli(['generate'], process.env.DATABASE_URL || PLACEHOLDER_URL)
  .then((out) => console.log(out.split('\n').filter((l) => /Generated|Error/.test(l)).join('\n') || out))
  .catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
