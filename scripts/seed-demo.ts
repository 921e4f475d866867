/**
 * The demo lab a newcomer sees at first start: a demo user (credentials kept in
 * .data/demo-credentials.json and printed at every start), built-in MNIST
 * datasets, the three demo models (models/demo) and analyses queued for the
 * worker — the MNIST CNN first, so results appear within a minute.
 * Idempotent: a second start only prints the credentials.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { db } from '../lib/db/client';
import { signUp } from '../lib/server/signup';
import { checkPasswordStrength } from '../lib/server/password-strength';
import { createModelVersion } from '../lib/server/models';
import { registerDataset } from '../lib/server/datasets';
import { stageFiles } from '../lib/server/uploads';
import { createAnalysis } from '../lib/server/analysis-create';
import { dataDir } from '../lib/storage/dirs';
import { fromManifest } from '../lib/models/sidecar';
import type { LabContext } from '../lib/server/access';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_EMAIL = 'demo@pcace.lab';

interface Credentials {
  email: string;
  password: string;
}

function credentialsFile(): string {
  return path.join(dataDir(), 'demo-credentials.json');
}

/** A random password for the demo user that the sign-up's strength rule accepts (72 random bits). */
export function newDemoPassword(): string {
  for (;;) {
    const password = randomBytes(9).toString('base64url');
    if (checkPasswordStrength(password, { email: DEMO_EMAIL, name: 'Demo Researcher' }).ok) return password;
  }
}

export interface DemoAnalysis {
  model: string;
  digit: number;
  options: Record<string, unknown>;
  title: string;
}

/**
 * The demo lab's analyses. Every one keeps the calibrated defaults (a pooled
 * null of its ranking statistic, BH at α = 0.05), so every seeded page shows
 * verdicts with their rule; none turns the null off. The MNIST CNN comes
 * first, with rank confidence sets, stability across k, ablation and the
 * sanity checks (random-filter baseline, model randomisation) on: results in
 * about a minute.
 */
export function demoAnalyses(digits: number[]): DemoAnalysis[] {
  return [
    { model: 'mnist-cnn', digit: 3, options: { bootstrap: 20, stabilityComponents: [3, 5, 10], ablation: true, sanityChecks: true }, title: 'MNIST CNN × digit 3, calibrated' },
    { model: 'resnet18-mnist', digit: 3, options: {}, title: 'ResNet-18 × digit 3' },
    { model: 'vgg16-mnist', digit: 3, options: {}, title: 'VGG-16 × digit 3' },
    { model: 'mnist-cnn', digit: 3, options: { flavour: 'pcace-2021', rankBy: 'pc1', crossFitRepeats: 0 }, title: 'MNIST CNN × digit 3, published statistic' },
    ...digits.filter((d) => d !== 3).map((d) => ({ model: 'mnist-cnn', digit: d, options: {}, title: `MNIST CNN × digit ${d}` })),
  ];
}

export async function seedDemo(log: (line: string) => void = console.log): Promise<Credentials> {
  const existing = await db.user.findUnique({ where: { email: DEMO_EMAIL } });
  if (existing) {
    // Demo labs seeded before the lab could be public become public now.
    await db.lab.updateMany({ where: { publicDemo: false, memberships: { some: { userId: existing.id, role: 'owner' } }, name: 'PCACE demo lab' }, data: { publicDemo: true } });
    const file = credentialsFile();
    const creds = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Credentials) : { email: DEMO_EMAIL, password: '(set at first start; see .data/demo-credentials.json)' };
    return creds;
  }
  const password = process.env.PCACE_DEMO_PASSWORD || newDemoPassword();
  const { user, lab } = await signUp({ name: 'Demo Researcher', email: DEMO_EMAIL, password }, new Headers());
  // Public: every account can read the demo's results at once, before uploading anything.
  await db.lab.update({ where: { id: lab.id }, data: { name: 'PCACE demo lab', publicDemo: true } });
  mkdirSync(dataDir(), { recursive: true });
  writeFileSync(credentialsFile(), JSON.stringify({ email: DEMO_EMAIL, password }, null, 1), { mode: 0o600 });
  const ctx: LabContext = { user: { id: user.id, email: user.email, name: user.name }, via: 'session', lab: { id: lab.id, slug: lab.slug, name: 'PCACE demo lab' }, role: 'owner' };

  const digits = [3, 0, 1, 2, 4, 5, 6, 7, 8, 9];
  const datasets = new Map<number, string>();
  for (const d of digits) {
    const ds = await registerDataset(lab.id, user.id, { name: `MNIST digit ${d}`, kind: 'mnist', split: 'train', digit: d }, []);
    datasets.set(d, ds.id);
  }

  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/demo/models.json'), 'utf8')) as {
    models: { name: string; file: string; preprocessing: Parameters<typeof fromManifest>[0]; architecture?: unknown; accuracy?: number; training?: unknown }[];
  };
  const versions = new Map<string, string>();
  for (const m of manifest.models) {
    const staged = await stageFiles([{ field: 'file', name: m.file, from: path.join(ROOT, 'models/demo', m.file) }]);
    try {
      const v = await createModelVersion(lab.id, user.id, {
        name: m.name,
        files: staged.files,
        preprocessing: fromManifest(m.preprocessing),
        modelCard: { source: 'models/demo (trained on MNIST by scripts/train-demo-models.py)', architecture: m.architecture, accuracy: m.accuracy, training: m.training },
      });
      versions.set(m.name, v.version.id);
    } finally {
      await staged.cleanup();
    }
  }

  for (const a of demoAnalyses(digits)) {
    await createAnalysis(ctx, { modelVersionId: versions.get(a.model), datasetId: datasets.get(a.digit), target: { kind: 'class', index: a.digit }, layers: 'all', options: a.options, title: a.title });
  }
  log(`[seed] demo lab "${lab.slug}": 10 MNIST datasets, 3 models, ${digits.length + 3} analyses queued`);
  return { email: DEMO_EMAIL, password };
}
