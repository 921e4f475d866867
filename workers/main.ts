/**
 * Worker process entry: `npm run worker` (or `tsx workers/main.ts`). Stops after
 * the current group of layer tasks on SIGTERM/SIGINT; a SIGKILL keeps the
 * layers it stored and leaves the others to be resumed by another worker once
 * their leases lapse.
 */
import { closeDb, getDb } from '../lib/db/client';
import { databaseUrl } from '../lib/db/url';
import { checkStorageSettings, closeStore } from '../lib/storage/backend';
import { Worker } from './worker';

try {
  console.log(`[worker] storage: ${await checkStorageSettings()}`);
} catch (err) {
  console.error(`[worker] ${(err as Error).message}`);
  process.exit(2);
}

const threads = process.env.PCACE_WORKER_THREADS ? Number(process.env.PCACE_WORKER_THREADS) : undefined;
const worker = new Worker({ db: getDb(), databaseUrl: databaseUrl(), threads, id: process.env.PCACE_WORKER_ID || undefined });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => worker.stop());
await worker.run();
// The PostgreSQL store keeps a pool of connections: closed, the process exits at once instead of after their idle timeout.
await closeStore();
await closeDb();
