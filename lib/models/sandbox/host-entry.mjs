// Entry of a model process: registers the TypeScript loader, as bin/pcace.js
// does, then loads the host. Started with `--import` of tsx's loader instead,
// the process passes that flag on to every thread it starts (each layer's
// scoring threads), and ran an analysis 3–5 s slower than `pcace rank`
// (bench/README.md, Portal vs CLI). Messages that arrive while the host
// loads are kept and handed to it.
import { register } from 'tsx/esm/api';

const early = [];
const keep = (m) => early.push(m);
process.on('message', keep);
register();
await import('./host.ts');
process.off('message', keep);
for (const m of early) process.emit('message', m);
