/** Run the Prisma CLI (migrate deploy, generate, ...) against a database URL. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Project root, from this file's location (lib/db/ → ../..). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Placeholder for commands that never connect (generate, validate): Prisma 6 wants the env var to exist. */
export const PLACEHOLDER_URL = 'postgres://unused@127.0.0.1:1/unused';

export async function prismaCli(args: string[], databaseUrl: string, options: { inherit?: boolean } = {}): Promise<string> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  const argv = ['--require', path.join(PROJECT_ROOT, 'lib', 'db', 'prisma-cli-preload.cjs'), bin, ...args];
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_PREVIEW_FLAG_WARNINGS: '1',
  };
  if (options.inherit) {
    const { spawn } = await import('node:child_process');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, argv, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`prisma ${args.join(' ')} exited with ${code}`))));
    });
    return '';
  }
  try {
    const { stdout, stderr } = await run(process.execPath, argv, { cwd: PROJECT_ROOT, env, maxBuffer: 16 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`prisma ${args.join(' ')} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`);
  }
}

/** Apply every committed migration (prisma migrate deploy). */
export function migrateDeploy(databaseUrl: string): Promise<string> {
  return prismaCli(['migrate', 'deploy'], databaseUrl);
}
