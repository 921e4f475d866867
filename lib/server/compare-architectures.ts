/**
 * Compare architectures: two analyses (e.g. ResNet-18 and VGG-16 on the same
 * class) on a relative-depth axis — the sorted score curve of every layer,
 * per-layer distributions, the maximum by depth and a summary.
 *
 * Each network's side is the analysis' part (lib/analysis/architecture-part.ts):
 * stored when the analysis completed (lib/queue/view-parts.ts) and spliced into
 * the body as text, or computed now for an analysis still running.
 */
import { z } from 'zod';
import { cachedView, JsonText, type ViewBody, idParam, loadAnalysesWithViews, missingScore, parseQuery, scoreParam } from './compare';
import type { AnalysisInfo } from './shared/compare';
import { db } from '../db/client';
import { architectureKey, computePart, readParts, splitPart, storeViewParts, type StoredPart } from '../queue/view-parts';

export const architecturesQuery = z.object({ a: idParam, b: idParam, score: scoreParam }).strict();

export async function compareArchitectures(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, architecturesQuery);
  return cachedView(labId, [q.a, q.b], `architectures:${q.score}`, async () => {
    // The analyses and their stored parts in one query.
    const { infos, views } = await loadAnalysesWithViews(labId, [q.a, q.b], q.score, architectureKey);
    const parts = await partsOf(infos, views);
    // The same body as ArchitecturesPayload's JSON: { score, sides: [{ analysis, ...part }, …] }.
    return new JsonText(`{"score":${JSON.stringify(q.score)},"sides":[${sideJson(infos[0], parts)},${sideJson(infos[1], parts)}]}`);
  });
}

/** Each analysis' part for its score field: stored, stored now (completed before parts existed), or live (not completed). */
async function partsOf(infos: AnalysisInfo[], views: Map<string, string>): Promise<Map<string, StoredPart>> {
  const completed = (i: AnalysisInfo) => i.status === 'completed';
  const wanted = infos.filter(completed).map((i) => ({ id: i.id, field: i.scoreField }));
  const parts = new Map([...views].map(([id, body]) => [id, splitPart(body)]));
  const missing = wanted.filter((w) => !parts.has(w.id));
  if (missing.length) {
    for (const id of new Set(missing.map((w) => w.id))) await storeViewParts(db, id);
    for (const [id, p] of await readParts(db, missing)) parts.set(id, p);
  }
  for (const info of infos) {
    if (!parts.has(info.id)) parts.set(info.id, await computePart(db, info.id, info.scoreField, info.model.layerCount));
  }
  return parts;
}

function sideJson(info: AnalysisInfo, parts: Map<string, StoredPart>): string {
  const p = parts.get(info.id)!;
  if (p.layers > 0 && p.scored === 0) missingScore(info);
  return `{"analysis":${JSON.stringify(info)},${p.json.slice(1)}`;
}
