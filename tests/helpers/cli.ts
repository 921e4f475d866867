/**
 * The `pcace` command as users run it: `node bin/pcace.js …` in a child
 * process from the repository root, with its exit code, stdout and stderr
 * (a non-zero exit is returned, not thrown, so tests can assert on it).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PCACE_BIN = path.join(ROOT, 'bin/pcace.js');

const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function pcace(args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [PCACE_BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as CliRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
