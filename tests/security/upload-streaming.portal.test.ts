/**
 * Uploads through the production server (scripts/dev.ts --production): the
 * whole HTTP path, with everything Next.js puts before a route handler. A
 * 150 MB .npy streamed over HTTP is stored whole (nothing in front of the
 * handler may cut or buffer the body), and the server's peak RSS (VmHWM of
 * its processes, reset before the upload) grows by far less than the file;
 * a model upload over the limit is answered 413 while the client is still
 * sending. See upload-streaming.test.ts for the in-process checks.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePortal } from '../helpers/portal';
import { npyHeader, streamedUpload, type StreamedUpload } from '../helpers/upload-stream';

const portal = usePortal({ browser: false, env: { PCACE_MAX_MODEL_MB: '8' } });
const MB = 1024 * 1024;
const w = { token: '', slug: '' };

beforeAll(async () => {
  const { db } = await import('../../lib/db/client');
  const { createApiToken } = await import('../../lib/server/labs');
  const user = await db.user.create({ data: { email: 'uploader@example.org', name: 'Uploader' } });
  await db.lab.create({ data: { slug: 'uploads', name: 'Uploads', memberships: { create: { userId: user.id, role: 'owner' } } } });
  w.slug = 'uploads';
  w.token = (await createApiToken(user.id, 'tests')).token;
});

/** The portal's processes: those whose command line carries its port (the tsx launcher and the server). */
function serverPids(): number[] {
  const port = new URL(portal.base).port;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('scripts/dev.ts')) && args.includes(port)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
const status = (pid: number, field: 'VmHWM' | 'VmRSS') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

async function post(route: string, upload: StreamedUpload) {
  const res = await fetch(`${portal.base}/api/v1/labs/${w.slug}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.token}`, 'content-type': upload.contentType },
    body: upload.body,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as any };
}

const npy = (name: string, images: number) =>
  streamedUpload({ name, kind: 'npy' }, { field: 'file', name: `${name}.npy`, head: npyHeader([images, 1, 28, 28]), bodyBytes: images * 28 * 28 * 4 });

describe('uploads through the production server', () => {
  it('store a 150 MB .npy whole, with peak server memory far below its size', async () => {
    expect((await post('datasets', npy('warm-up', 64))).status).toBe(201);
    const images = 50_000; // 157 MB
    const fileBytes = npyHeader([images, 1, 28, 28]).length + images * 28 * 28 * 4;
    const pids = serverPids();
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const before = new Map(pids.map((pid) => [pid, status(pid, 'VmRSS')]));
    const upload = npy('large', images);
    const res = await post('datasets', upload);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const growth = Math.max(...pids.map((pid) => status(pid, 'VmHWM') - before.get(pid)!));
    console.log(`[upload, production server] ${(fileBytes / MB).toFixed(0)} MB .npy: peak RSS +${(growth / MB).toFixed(1)} MB (${(growth / fileBytes).toFixed(2)}×)`);
    expect(res.body.dataset.counts.total).toBe(images);
    expect(res.body.dataset.sha256).toBe(upload.fileSha256());
    expect(statSync(path.join(portal.db.storageDir, `datasets/${res.body.dataset.sha256}.npy`)).size).toBe(fileBytes);
    expect(growth).toBeLessThan(0.5 * fileBytes);
  }, 300_000);

  it('answer 413 to a model upload over the limit while the client is still sending', async () => {
    const upload = streamedUpload({ name: 'too-big' }, { field: 'file', name: 'big.onnx', bodyBytes: 200 * MB });
    const started = Date.now();
    const res = await post('models', upload).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
    console.log(`[upload, production server] 200 MB model over an 8 MB limit: ${res.status} after ${Date.now() - started} ms, ${(upload.pulled() / MB).toFixed(1)} MB sent`);
    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.body.error).toMatch(/exceeds the limit of 8 MB/);
    // The server stopped reading long before the end (socket buffers hold a few MB at most).
    expect(upload.pulled()).toBeLessThan(60 * MB);
    const tmp = path.join(portal.db.storageDir, 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  }, 120_000);
});
