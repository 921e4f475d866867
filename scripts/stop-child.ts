import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM to a child process, SIGKILL if it has not exited after `graceMs`;
 * resolves once it has exited (at once when it already had). The portal's
 * queue workers and web processes both stop this way.
 */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
