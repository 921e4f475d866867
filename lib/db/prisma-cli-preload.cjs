// Preloaded into the Prisma CLI by lib/db/migrate.ts. The WebAssembly schema
// engine arms 10 s timers it never clears, which keep `migrate deploy` alive
// for 10 s after it has finished. Long timers are unref'd: they still fire
// while the CLI has work in flight (sockets, child processes), but no longer
// hold an idle process open.
'use strict';
const setTimeoutOriginal = global.setTimeout;
global.setTimeout = function setTimeout(fn, ms, ...args) {
  const timer = setTimeoutOriginal(fn, ms, ...args);
  if (typeof ms === 'number' && ms >= 5000 && timer && typeof timer.unref === 'function') timer.unref();
  return timer;
};
