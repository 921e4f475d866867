/**
 * Uploads in API tests: multipart and JSON requests to a lab's model and
 * dataset routes, called in this process as the portal serves them, and the
 * files an upload left in the storage directory (a refused upload must leave
 * none, and nothing may stay under tmp/).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll } from 'vitest';
import { callRoute, formOf } from './db';
import { labOwner, type Person } from './lab-fixture';
import * as datasetsRoute from '../../app/api/v1/labs/[lab]/datasets/route';
import * as modelsRoute from '../../app/api/v1/labs/[lab]/models/route';

/** Who uploads: a lab (by slug) and an API token of a member. */
export interface Uploader {
  slug: string;
  token: string;
}

/** POST /api/v1/labs/:lab/models with a multipart form of `fields` (name, file or model.json + shards, ...). */
export function uploadModel(to: Uploader, fields: Parameters<typeof formOf>[0]) {
  return callRoute(modelsRoute.POST as never, `/api/v1/labs/${to.slug}/models`, { token: to.token, params: { lab: to.slug }, form: formOf(fields) });
}

/** POST /api/v1/labs/:lab/datasets with a JSON body (built-in MNIST) or a multipart form (uploaded files). */
export function postDataset(to: Uploader, body: { json?: unknown; form?: FormData }) {
  return callRoute(datasetsRoute.POST as never, `/api/v1/labs/${to.slug}/datasets`, { token: to.token, params: { lab: to.slug }, ...body });
}

/** Every file below `root` whose name passes `keep`, relative to `root`, sorted. */
export function filesUnder(root: string, keep: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (keep(e.name)) out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

/**
 * A lab owner (signed up before the tests of the enclosing block) who uploads to
 * their own lab, and the files uploads left in the storage directory `storageDir()`.
 */
export function useUploader(who: Person, storageDir: () => string) {
  const to: Uploader = { slug: '', token: '' };
  beforeAll(async () => {
    ({ slug: to.slug, token: to.token } = await labOwner(who));
  });
  return {
    get slug() {
      return to.slug;
    },
    get token() {
      return to.token;
    },
    uploadModel: (fields: Parameters<typeof formOf>[0]) => uploadModel(to, fields),
    postDataset: (body: { json?: unknown; form?: FormData }) => postDataset(to, body),
    /** Every file under the storage directory (tmp/ must be empty after any request). */
    storedFiles: () => filesUnder(storageDir()),
  };
}
