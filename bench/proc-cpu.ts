/**
 * CPU time of processes from /proc (Linux): what a bench on a shared machine
 * can compare when wall times depend on the load of others.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat

export interface ProcCpu {
  /** User + system seconds of the process itself (all its threads). */
  self: number;
  /** User + system seconds of its children that ended and were waited for. */
  children: number;
}

/** The process' CPU seconds, or null once it is gone. */
export function procCpu(pid: number): ProcCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), from field 3 on.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i - 3]);
    return { self: (n(14) + n(15)) / TICK, children: (n(16) + n(17)) / TICK };
  } catch {
    return null;
  }
}

/** The live children of a process. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** CPU seconds of each process of the tree under `pid` (itself first), its ended children's included in their parent's `children`. */
export function treeCpu(pid: number): Map<number, ProcCpu> {
  const out = new Map<number, ProcCpu>();
  const visit = (p: number) => {
    const c = procCpu(p);
    if (!c) return;
    out.set(p, c);
    for (const k of childPids(p)) visit(k);
  };
  visit(pid);
  return out;
}

/** CPU ms of the PostgreSQL backends serving `database` on this machine (their process titles name it). */
export function postgresCpuMs(database: string): number {
  let ms = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    let title: string;
    try {
      // "postgres: [cluster: ]user database host(port) state"
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (title.startsWith('postgres: ') && title.includes(` ${database} `)) ms += 1000 * (procCpu(pid)?.self ?? 0);
  }
  return ms;
}
