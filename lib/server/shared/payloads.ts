/**
 * What the portal's pages and /api/v1 hand to the browser, declared once for
 * the server code that builds it and the client components that show it.
 * Declarations only: no database, no Node, so client components may import it.
 */
import type { ArtifactKind, ArtifactValues, ChannelResult, LayerResult } from './analysis-types';

/** An analysis' status (the database enum's values). */
export type AnalysisStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

// ---------------------------------------------------------------- stored results

/** The rule a layer's verdicts were made under (statistic, null, correction, α, and a sentence). */
export type VerdictRuleView = NonNullable<LayerResult['verdict_rule']>;
/** The layer's null: B draws, pooled or per channel, mean, sd and quantiles. */
export type NullSummaryView = NonNullable<LayerResult['null']>;
/** Test–retest: the Spearman between the rankings on two disjoint image samples, with its interval. */
export type ReliabilityView = NonNullable<LayerResult['reliability']>;

/**
 * One stored layer as the results API, the JSON export and the pages see it.
 * `null` and `verdict_rule` are absent for analyses run without a null (and
 * for those stored before verdicts existed): their channels carry no verdict.
 */
export interface StoredLayerView {
  name: string;
  index: number;
  shape: unknown;
  kernel?: unknown;
  seconds: number;
  warnings: string[];
  rank_stability?: unknown;
  null?: NullSummaryView;
  verdict_rule?: VerdictRuleView;
  /** Importance measures' block (deletion curves, agreement with PCACE); absent without importance measures. */
  importance?: LayerResult['importance'];
  /** Random-filter baseline and model randomisation, for analyses run with sanity checks. */
  sanity?: LayerResult['sanity'];
  /** Present when the analysis ran a test–retest. */
  reliability?: ReliabilityView;
  channels: ChannelResult[];
}

// ---------------------------------------------------------------- live progress

export interface LayerTaskView {
  name: string;
  index: number;
  channels: number;
  status: AnalysisStatus;
  /** 0..1 within the layer. */
  progress: number;
  /** Failure reason, or the error of an earlier attempt of a task queued again. */
  error: string | null;
}

/** Where an analysis's run stands: the progress poll and the history list both show it. */
export interface RunState {
  status: AnalysisStatus;
  progress: number;
  currentLayer: string | null;
  etaSeconds: number | null;
  error: string | null;
  cancelRequested: boolean;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What the analysis page polls while an analysis runs (GET .../progress). */
export interface AnalysisProgressView extends RunState {
  id: string;
  /** Layer tasks in model order; a completed task's results are stored (same transaction). */
  layers: LayerTaskView[];
}

// ---------------------------------------------------------------- channel artifacts

export interface ArtifactJson {
  kind: ArtifactKind;
  layer: string;
  channel: number;
  variant: string;
  /** 'missing': never requested. */
  status: 'missing' | 'queued' | 'running' | 'completed' | 'failed';
  id: string | null;
  progress: number;
  attempts: number;
  error: string | null;
  seconds: number | null;
  updatedAt: string | null;
  /** File name → URL, for completed artifacts (PNGs and values.json). */
  files: Record<string, string>;
  values: ArtifactValues | null;
}

/** What a picked group of a layer may hold (GET …/layers/:layer/group). */
export interface GroupLimits {
  /** Channels of the layer (picks are 0 … channels − 1). */
  channels: number;
  images: number;
  componentsPerMember: number;
  /** Most channels in a group: ACE takes at most n/5 predictors, and each member brings up to componentsPerMember. */
  maxMembers: number;
}

/** The layer's top-k groups stored with its importance measures (lib/analysis/importance/groups.ts). */
export type StoredLayerGroup = NonNullable<NonNullable<LayerResult['importance']>['groups']>[number];

// ---------------------------------------------------------------- discussion

/** What the API and the thread component show; canEdit/canDelete are for the caller. */
export interface CommentView {
  id: string;
  analysisId: string;
  layer: string | null;
  channel: number | null;
  body: string;
  author: { id: string; name: string };
  createdAt: string;
  editedAt: string | null;
  canEdit: boolean;
  canDelete: boolean;
}

export interface ThreadView {
  analysisId: string;
  layer: string | null;
  channel: number | null;
  comments: CommentView[];
  /** Whether the caller may post here (members and owners). */
  canWrite: boolean;
}

// ---------------------------------------------------------------- history

export interface HistoryEntry extends RunState {
  id: string;
  title: string | null;
  createdAt: string;
  /** Started → finished; null until both exist (running ones show their elapsed time instead). */
  durationSeconds: number | null;
  person: { id: string; name: string };
  model: { id: string; name: string; version: number };
  dataset: { id: string; name: string; kind: string };
  target: unknown;
  targetLabel: string;
  comments: number;
  pins: number;
}

/** How the activity chart stacks its bars. */
export type ActivityGroup = 'status' | 'person';

export interface ActivitySeries {
  key: string;
  label: string;
}

export interface Activity {
  group: ActivityGroup;
  from: string;
  to: string;
  /** Stack order, bottom first. */
  series: ActivitySeries[];
  /** Every day of the range, zeros included. */
  days: { day: string; counts: Record<string, number>; total: number }[];
  /** True when the filter range was longer than MAX_CHART_DAYS and the chart shows its end. */
  clipped: boolean;
}

export interface LiveState {
  id: string;
  status: AnalysisStatus;
  progress: number;
  currentLayer: string | null;
  etaSeconds: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
}
