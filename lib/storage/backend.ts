/**
 * The configured store: PCACE_STORAGE picks the backend (lib/storage/store.ts),
 * one instance per process and configuration. The S3 SDK is loaded only
 * when the S3 backend is chosen.
 */
import { databaseUrl } from '../db/url';
import { LocalCache } from './cache';
import { storageDir } from './dirs';
import { DirectoryStore } from './dir-store';
import { PostgresStore } from './pg-store';
import { s3Settings } from './s3-settings';
import { backendName, type ObjectStore } from './store';

const g = globalThis as unknown as { __pcaceStore?: { config: string; store: Promise<ObjectStore> } };

function configKey(): string {
  const name = backendName();
  if (name === 'directory') return `directory\n${storageDir()}`;
  if (name === 'postgres') return `postgres\n${databaseUrl()}`;
  const e = process.env;
  return ['s3', e.PCACE_S3_BUCKET, e.PCACE_S3_PREFIX, e.PCACE_S3_ENDPOINT, e.PCACE_S3_REGION, e.PCACE_S3_FORCE_PATH_STYLE].join('\n');
}

async function open(name: ReturnType<typeof backendName>): Promise<ObjectStore> {
  if (name === 'directory') return new DirectoryStore(storageDir());
  if (name === 'postgres') return new PostgresStore(databaseUrl(), new LocalCache());
  const settings = s3Settings();
  const { S3Store } = await import('./s3-store');
  return new S3Store(settings, new LocalCache());
}

/** The store PCACE_STORAGE (and STORAGE_DIR, DATABASE_URL or PCACE_S3_*) configure. */
export function getStore(): Promise<ObjectStore> {
  const config = configKey();
  if (!g.__pcaceStore || g.__pcaceStore.config !== config) {
    const old = g.__pcaceStore?.store;
    if (old) void old.then((s) => s.close()).catch(() => {});
    const store = open(backendName());
    g.__pcaceStore = { config, store };
    store.catch(() => {
      if (g.__pcaceStore?.store === store) g.__pcaceStore = undefined;
    });
  }
  return g.__pcaceStore.store;
}

/** Closes the store's connections (tests, scripts, worker shutdown). */
export async function closeStore(): Promise<void> {
  const s = g.__pcaceStore?.store;
  g.__pcaceStore = undefined;
  if (s) await (await s).close();
}

/**
 * Checks PCACE_STORAGE and the chosen backend's settings without connecting,
 * so a typo stops the portal or a worker at start with its reason instead of
 * failing every upload later.
 */
export async function checkStorageSettings(): Promise<string> {
  const name = backendName();
  if (name === 's3') {
    const s = s3Settings();
    return `s3 (bucket ${s.bucket}${s.prefix ? `, prefix ${s.prefix}` : ''}${s.endpoint ? `, ${s.endpoint}` : ''})`;
  }
  return name === 'directory' ? `directory (${storageDir()})` : 'postgres (large objects in the database)';
}
