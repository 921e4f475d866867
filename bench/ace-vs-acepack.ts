/**
 * Speed of aceAcepack against R's acepack on identical inputs, in one run.
 *
 *   npx tsx bench/ace-vs-acepack.ts [--reps N] [--rounds R]
 *
 * Inputs: n = 300 rows, p = 1, 10, 50 predictors, seeded, written to temporary CSVs
 * that both sides read. Each side warms up, then times batches of fits; the figure is
 * the median time per fit over all batches. R is timed twice: `ace(x, y, delrsq = 0.01)`
 * as users call it, and the bare `.Fortran("mace", ...)` call inside it (the Fortran
 * alone, without R's argument handling). Needs Rscript with acepack
 * (`apt-get install -y r-cran-acepack`); without it only our timings are printed.
 *
 * Both CPU time (user + system of the process) and wall-clock time are reported: on a
 * shared machine wall-clock includes time spent waiting for a core, CPU time does not.
 * Blocks of ours and R's runs alternate over several rounds, so a load change during
 * the run hits both sides alike.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { aceAcepack } from '../lib/pcace/ace/acepack';
import { Rng } from '../lib/pcace/random';

const N = 300;
const PS = [1, 10, 50];
const SEED = 20240611;

function argNumber(name: string, fallback: number, min: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Math.max(min, Number(process.argv[i + 1])) : fallback;
}

/** y depends nonlinearly on the first predictors plus noise; the rest is noise. */
function makeData(p: number, seed: number): { x: Float64Array[]; y: Float64Array } {
  const rng = new Rng(seed);
  const x = Array.from({ length: p }, () => Float64Array.from({ length: N }, () => rng.normal()));
  const y = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    let s = 0.5 * rng.normal();
    if (p >= 1) s += Math.sin(x[0][j]);
    if (p >= 2) s += 0.5 * x[1][j] * x[1][j];
    if (p >= 3) s += Math.exp(0.5 * x[2][j]);
    y[j] = s;
  }
  return { x, y };
}

function writeCsv(file: string, cols: Float64Array[]): void {
  const rows: string[] = [];
  for (let j = 0; j < cols[0].length; j++) rows.push(cols.map((c) => c[j].toPrecision(17)).join(','));
  writeFileSync(file, rows.join('\n') + '\n');
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Fits per timed batch: ~40 ms per batch, so R's 1 ms CPU-clock steps stay small. */
function batchFor(p: number): number {
  return p === 1 ? 200 : p <= 10 ? 25 : 4;
}

interface Samples {
  cpu: number[];
  wall: number[];
}

function timeOurs(x: Float64Array[], y: Float64Array, reps: number, batch: number, into: Samples): number {
  let rsq = 0;
  const warm = performance.now();
  while (performance.now() - warm < 300) rsq = aceAcepack(x, y).rsq;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) rsq = aceAcepack(x, y).rsq;
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    into.wall.push(wall / batch);
    into.cpu.push((c.user + c.system) / 1e3 / batch);
  }
  return rsq;
}

const R_SCRIPT = `
suppressPackageStartupMessages(library(acepack))
args <- commandArgs(TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)); y <- read.csv(args[2], header = FALSE)[[1]]
reps <- as.integer(args[3]); batch <- as.integer(args[4])
storage.mode(x) <- "double"
p <- ncol(x); n <- nrow(x)
fit <- ace(x, y, delrsq = 0.01)
# The call ace() makes, with arguments prepared once.
tx0 <- t(x); l <- as.integer(rep(1L, p + 1)); m0 <- as.integer(matrix(0L, n, p + 1))
z0 <- matrix(0, n, 12); w <- rep(1, n)
mace <- function() .Fortran("mace", p = as.integer(p), n = as.integer(n), x = tx0, y = y,
  w = w, l = l, delrsq = 0.01, ns = 1L, tx = x, ty = y, rsq = double(1), ierr = integer(1),
  m = m0, z = z0, PACKAGE = "acepack")
raw <- mace()
stopifnot(abs(raw$rsq - fit$rsq) < 1e-12)
now <- function() as.numeric(Sys.time())  # microsecond wall clock
cpu <- function() { t <- proc.time(); t[[1]] + t[[2]] }
timeit <- function(f, label) {
  t0 <- now(); while (now() - t0 < 0.3) f()
  for (r in seq_len(reps)) {
    c0 <- cpu(); t0 <- now()
    for (b in seq_len(batch)) f()
    w <- now() - t0; c <- cpu() - c0
    cat(sprintf("%s %.6f %.6f\\n", label, 1000 * c / batch, 1000 * w / batch))
  }
}
cat(sprintf("rsq %.17g\\n", fit$rsq))
timeit(function() ace(x, y, delrsq = 0.01), "ace")
timeit(mace, "mace")
`;

function rInfo(): { version: string; acepack: string } | null {
  const r = spawnSync('Rscript', ['-e', 'cat(R.version.string, "\\n"); cat(as.character(packageVersion("acepack")), "\\n")'], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) return null;
  const [version, acepack] = r.stdout.trim().split('\n').map((s) => s.trim());
  return { version, acepack };
}

function cpuModel(): string {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model ?? 'unknown';
}

function main(): void {
  const reps = argNumber('--reps', 15, 3);
  const rounds = argNumber('--rounds', 3, 1);
  const r = rInfo();
  console.log(`CPU: ${cpuModel()}, ${cpus().length} logical cores; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`Node ${process.version}`);
  console.log(r ? `${r.version}, acepack ${r.acepack}` : 'R: Rscript with acepack not found');
  console.log(`n = ${N}, delrsq 0.01; ${rounds} rounds × ${reps} batches per side, medians per fit\n`);
  if (!r) {
    console.log('To compare with R acepack: apt-get install -y r-cran-acepack (Debian/Ubuntu),');
    console.log('or install.packages("acepack") in R. Timing ours only.\n');
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'ace-bench-'));
  const rFile = path.join(dir, 'bench.R');
  writeFileSync(rFile, R_SCRIPT);
  const results: { p: number; ours: Samples; ace: Samples; mace: Samples; drsq: number }[] = [];
  try {
    for (const p of PS) {
      const { x, y } = makeData(p, SEED + p);
      const xFile = path.join(dir, `x${p}.csv`);
      const yFile = path.join(dir, `y${p}.csv`);
      writeCsv(xFile, x);
      writeCsv(yFile, [y]);
      // Fit what R reads back, not the unrounded arrays.
      const xr = x.map((c) => Float64Array.from(c, (v) => Number(v.toPrecision(17))));
      const yr = Float64Array.from(y, (v) => Number(v.toPrecision(17)));
      const batch = batchFor(p);
      const res = { p, ours: { cpu: [], wall: [] }, ace: { cpu: [], wall: [] }, mace: { cpu: [], wall: [] }, drsq: NaN } as (typeof results)[number];
      for (let round = 0; round < rounds; round++) {
        const rsq = timeOurs(xr, yr, reps, batch, res.ours);
        if (!r) continue;
        const out = execFileSync('Rscript', [rFile, xFile, yFile, String(reps), String(batch)], { encoding: 'utf8' });
        for (const line of out.trim().split('\n')) {
          const [label, a, b] = line.trim().split(/\s+/);
          if (label === 'rsq') res.drsq = Math.abs(Number(a) - rsq);
          else if (label === 'ace' || label === 'mace') {
            res[label].cpu.push(Number(a));
            res[label].wall.push(Number(b));
          }
        }
      }
      results.push(res);
      console.error(`p = ${p} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  for (const clock of ['cpu', 'wall'] as const) {
    console.log(clock === 'cpu' ? 'CPU time (user + system), ms per fit:' : 'Wall-clock time, ms per fit:');
    const header = ['p', 'ours', 'R ace()', 'R mace', 'ours/ace()', 'ours/mace'];
    const table = results.map((res) => {
      const o = median(res.ours[clock]);
      if (!r) return [String(res.p), o.toFixed(3), '—', '—', '—', '—'];
      const a = median(res.ace[clock]);
      const m = median(res.mace[clock]);
      return [String(res.p), o.toFixed(3), a.toFixed(3), m.toFixed(3), (o / a).toFixed(2), (o / m).toFixed(2)];
    });
    printTable(header, table);
    console.log('');
  }
  if (r) console.log(`|rsq(ours) − rsq(R)| per p: ${results.map((res) => `${res.p}: ${res.drsq.toExponential(1)}`).join(', ')}`);
  console.log('ratio < 1: ours is faster.');
}

function printTable(header: string[], table: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c].length)));
  const line = (cells: string[]): string => `| ${cells.map((s, c) => s.padStart(widths[c])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`);
  for (const row of table) console.log(line(row));
}

main();
