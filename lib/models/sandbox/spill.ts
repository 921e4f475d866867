/**
 * Where analyses spill activations that do not fit their memory budget.
 *
 * PCACE_SPILL_DIR (default: <os tmpdir>/pcace-spill) holds one folder per model
 * process, named after the host and the pid of the worker that started it. The
 * worker removes a child's folder when the child ends, however it ends; a worker
 * that was itself killed leaves folders whose owner pid is gone, and the next
 * worker on the host removes them when it starts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { PcaceInputError } from '../../pcace/validate';

export function spillRoot(): string {
  return path.resolve(process.env.PCACE_SPILL_DIR || path.join(tmpdir(), 'pcace-spill'));
}

const host = () => hostname().replace(/[^\w.-]/g, '_');

/** A fresh folder for one model process started by this process. */
export function newSpillDir(root = spillRoot()): string {
  const dir = path.join(root, `${host()}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders of this host's dead workers; returns what it removed. */
export function cleanOrphanSpills(root = spillRoot()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const prefix = `${host()}-`;
  const removed: string[] = [];
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && alive(pid))) continue;
    if (pid === process.pid) continue;
    rmSync(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Free bytes for an unprivileged writer in `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** Refuses to start spilling `needed` bytes into `dir` when the file system has less free. */
export function checkSpillSpace(dir: string, needed: number, free: (dir: string) => number = freeBytes): void {
  const available = free(dir);
  if (available < needed) {
    throw new PcaceInputError(
      `not enough free disk space to spill activations: the layer needs ${mb(needed)}, ` +
        `the spill disk (PCACE_SPILL_DIR) has ${mb(available)} free; give it a larger disk, or analyse fewer images`,
    );
  }
}
