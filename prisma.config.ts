/**
 * Prisma CLI configuration. `engine: "js"` runs the WebAssembly schema engine
 * shipped inside the prisma package, so `migrate deploy/dev/diff` work without
 * downloading a native engine. The database comes from DATABASE_URL; the
 * project's scripts (scripts/db-*.ts) set it to the embedded PostgreSQL when
 * none is configured.
 */
import { defineConfig } from 'prisma/config';
import { MigrationAdapterFactory } from './lib/db/migrate-adapter';

export default defineConfig({
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  experimental: { adapter: true },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) {
      throw new Error('DATABASE_URL is not set: run `npm run db:migrate` (starts the embedded PostgreSQL) or export DATABASE_URL');
    }
    return new MigrationAdapterFactory(url);
  },
});
