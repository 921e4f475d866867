/**
 * Defaults and bounds of an analysis's options, derived from their declaration
 * (lib/analysis/options.ts, where each default's reason is given) for the code
 * that wants them as plain objects.
 */
import { withDefaults } from './options';
import type { AnalysisSpec } from './types';

export const DEFAULT_ANALYSIS: Omit<AnalysisSpec, 'model' | 'dataset' | 'target'> = { layers: 'all', ...withDefaults({}) };

