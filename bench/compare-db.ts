/**
 * The database of the compare benchmarks (compare-load.ts over HTTP,
 * compare-inproc.ts in-process): a fresh PostgreSQL database with a user, a
 * lab, an API token and the two synthetic full networks of compare-seed.ts
 * (ResNet-18 and VGG-16), their compare-view parts stored as completion
 * stores them (lib/queue/persist.ts).
 */
import { randomBytes } from 'node:crypto';
import { adminStatement } from '../lib/db/migrate-adapter';
import { RESNET18, seedNetwork, VGG16 } from './compare-seed';

export const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface CompareBenchDb {
  name: string;
  databaseUrl: string;
  secret: string;
  user: { id: string };
  lab: { id: string; slug: string };
  token: string;
  a: string;
  b: string;
  channels: number;
  pgVersion: string;
  drop(): Promise<void>;
}

/** Creates and seeds the database; sets DATABASE_URL and NEXTAUTH_SECRET for this process. The client stays open. */
export async function createCompareBenchDb(): Promise<CompareBenchDb> {
  const name = `pcace_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await adminStatement(BASE_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const secret = randomBytes(32).toString('base64url');
  Object.assign(process.env, { DATABASE_URL: databaseUrl, NEXTAUTH_SECRET: secret });
  const { migrateDeploy } = await import('../lib/db/migrate');
  await migrateDeploy(databaseUrl);
  const { db } = await import('../lib/db/client');
  const { signUp } = await import('../lib/server/signup');
  const { createApiToken } = await import('../lib/server/labs');
  const { user, lab } = await signUp({ name: 'Bench', email: 'bench@example.org', password: 'bench-password' }, new Headers());
  const token = (await createApiToken(user.id, 'bench')).token;
  const base = { labId: lab.id, userId: user.id };
  const a = await seedNetwork(db, { ...base, modelName: 'resnet18', layers: RESNET18, classIndex: 0, runSeed: 1, permutations: 99 });
  const b = await seedNetwork(db, { ...base, modelName: 'vgg16', layers: VGG16, classIndex: 0, runSeed: 1 });
  const { storeViewParts } = await import('../lib/queue/view-parts');
  for (const id of [a.analysisId, b.analysisId]) await storeViewParts(db, id);
  const channels = await db.channelResult.count();
  const pgVersion = ((await db.$queryRaw<{ v: string }[]>`SELECT version() AS v`)[0].v ?? '').split(' on ')[0];
  return {
    name,
    databaseUrl,
    secret,
    user,
    lab,
    token,
    a: a.analysisId,
    b: b.analysisId,
    channels,
    pgVersion,
    drop: () => adminStatement(BASE_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
