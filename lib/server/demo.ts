/**
 * The public demo lab (Lab.publicDemo, seeded by scripts/seed-demo.ts): what a
 * new account can open at once, and the real result the landing page shows.
 */
import { db } from '../db/client';
import { scoreField, targetLabel } from './compare';
import { SCORE_LABELS } from './shared/compare';
import type { VerdictRuleView } from './shared/payloads';

export interface DemoLab {
  slug: string;
  name: string;
  /** Its first completed analysis, the one to open first; null while none has finished. */
  featured: { id: string; title: string } | null;
  completed: number;
}

/** The public demo lab, if this portal has one. */
export async function publicDemoLab(): Promise<DemoLab | null> {
  const lab = await db.lab.findFirst({ where: { publicDemo: true }, orderBy: { createdAt: 'asc' }, select: { id: true, slug: true, name: true } });
  if (!lab) return null;
  const [featured, completed] = await Promise.all([
    db.analysis.findFirst({ where: { labId: lab.id, status: 'completed' }, orderBy: { createdAt: 'asc' }, select: { id: true, title: true } }),
    db.analysis.count({ where: { labId: lab.id, status: 'completed' } }),
  ]);
  return { slug: lab.slug, name: lab.name, featured: featured ? { id: featured.id, title: featured.title ?? 'Demo analysis' } : null, completed };
}

export interface DemoShowcase {
  lab: string;
  analysisId: string;
  title: string;
  /** "mnist-cnn v1 × MNIST digit 3, class 3". */
  subject: string;
  statistic: string;
  layers: { name: string; channels: { index: number; value: number; verdict?: boolean }[] }[];
  beatNoise: number | null;
  withVerdict: number;
  /** The first layer's verdict rule (every layer of an analysis shares it). */
  rule: VerdictRuleView | null;
}

/** The demo's featured analysis as the landing page draws it: every channel's ranking statistic and verdict, by layer. */
export async function demoShowcase(): Promise<DemoShowcase | null> {
  const demo = await publicDemoLab();
  if (!demo?.featured) return null;
  const a = await db.analysis.findUniqueOrThrow({
    where: { id: demo.featured.id },
    include: {
      modelVersion: { select: { version: true, modelCard: true, model: { select: { name: true } } } },
      dataset: { select: { name: true } },
      layerResults: { orderBy: { index: 'asc' }, select: { name: true, extra: true, channels: { select: { channel: true, scoreCrossfit: true, scoreMultiple: true, scorePc1: true, zScore: true, extra: true } } } },
    },
  });
  const options = (a.options ?? {}) as Record<string, unknown>;
  const field = scoreField('auto', typeof options.rankBy === 'string' ? options.rankBy : 'crossfit');
  const pick = { score_crossfit: 'scoreCrossfit', score_multiple: 'scoreMultiple', score_pc1: 'scorePc1', z_score: 'zScore' } as const;
  let beats = 0;
  let withVerdict = 0;
  let rule: VerdictRuleView | null = null;
  const layers = a.layerResults.map((l) => {
    const layerRule = (l.extra as { verdict_rule?: VerdictRuleView } | null)?.verdict_rule;
    const ruled = !!layerRule;
    rule ??= layerRule ?? null;
    return {
      name: l.name,
      channels: l.channels.flatMap((c) => {
        const value = c[pick[field]];
        if (value === null || !Number.isFinite(value)) return [];
        const v = (c.extra as { beats_noise?: unknown } | null)?.beats_noise;
        const verdict = ruled && typeof v === 'boolean' ? v : undefined;
        if (verdict !== undefined) {
          withVerdict++;
          if (verdict) beats++;
        }
        return [{ index: c.channel, value, ...(verdict === undefined ? {} : { verdict }) }];
      }),
    };
  });
  const classes = (a.modelVersion.modelCard as { classes?: unknown } | null)?.classes;
  return {
    lab: demo.slug,
    analysisId: a.id,
    title: a.title ?? demo.featured.title,
    subject: `${a.modelVersion.model.name} v${a.modelVersion.version} × ${a.dataset.name}, target ${targetLabel(a.target, classes)}`,
    statistic: SCORE_LABELS[field],
    layers,
    beatNoise: withVerdict > 0 ? beats : null,
    withVerdict,
    rule,
  };
}
