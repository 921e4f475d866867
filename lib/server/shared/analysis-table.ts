/**
 * One row of a lab's analysis table (the lab home): what ran, on what, for
 * which target, under which statistic, and the result in a few numbers.
 * Declarations only: client components import it.
 */
import type { AnalysisStatus } from './payloads';
import type { ScoreField } from './compare';

export interface AnalysisRow {
  id: string;
  title: string;
  status: AnalysisStatus;
  /** 0..1 while running. */
  progress: number;
  model: { id: string; versionId: string; label: string };
  dataset: string;
  /** The target in words: "class 3 (cat)". */
  target: string;
  /** The ranking statistic's field and its name in words. */
  scoreField: ScoreField;
  statistic: string;
  /** Channels with stored results. */
  channels: number;
  /** Channels that beat noise under their layer's rule; null when no layer made verdicts (not calibrated). */
  beatNoise: number | null;
  /** Channels with a verdict (the denominator of beatNoise). */
  withVerdict: number;
  /** The channel with the highest ranking statistic over all layers. */
  top: { layer: string; channel: number; score: number } | null;
  median: number | null;
  /** Run time in seconds, from start to finish (or to now while running); null before it starts. */
  seconds: number | null;
  who: string;
  createdAt: string;
}
