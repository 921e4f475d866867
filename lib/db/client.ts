/**
 * The portal's Prisma client (driver adapter on node-postgres, no native
 * engine). Created on first use from DATABASE_URL, else the embedded
 * PostgreSQL (lib/db/url.ts); one client per process, kept across Next.js
 * dev reloads.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';
import { databaseUrl } from './url';

export type { PrismaClient } from './generated/client';
export { Prisma } from './generated/client';
export type { Role, DatasetKind, ModelFormat, AnalysisStatus } from './generated/enums';

const g = globalThis as unknown as { __pcacePrisma?: { client: PrismaClient; url: string } };

export function getDb(): PrismaClient {
  const url = databaseUrl();
  if (!g.__pcacePrisma || g.__pcacePrisma.url !== url) {
    const old = g.__pcacePrisma?.client;
    if (old) void old.$disconnect().catch(() => {});
    const adapter = new PrismaPg({ connectionString: url, max: Number(process.env.PCACE_DB_POOL ?? 10) });
    g.__pcacePrisma = { client: new PrismaClient({ adapter }), url };
  }
  return g.__pcacePrisma.client;
}

/** Disconnect (tests, scripts). */
export async function closeDb(): Promise<void> {
  const c = g.__pcacePrisma?.client;
  g.__pcacePrisma = undefined;
  if (c) await c.$disconnect();
}

/** `db.user.findMany(...)`: the lazily created client. */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, prop) {
    const client = getDb();
    const value = Reflect.get(client, prop, client);
    return typeof value === 'function' ? value.bind(client) : value;
  },
});
