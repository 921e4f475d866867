/** PCACE statistics: pure functions over typed arrays, no I/O. */
export * from './ace/index';
export { channelPca, channelPcaOf, gramMatrix, gramNeeded, standardiseMaps, type ComponentsSpec, type MapsLayout, type PcaResult, type StandardisedChannel, type StandardisedMaps } from './pca';
export * from './score';
export { crossFittedScore, permutationNull, type PermutationNull } from './calibration';
export * from './layer';
export * from './ranking';
export { aceCorrelations } from './correlations';
export { Rng } from './random';
export { PcaceInputError } from './validate';
export { pearson } from './stats';
export { adaptiveCrossFit, crossFitSplit, type CrossFit, type CrossFitRule } from './crossfit';
export { nullStandardisedEffect, nullTest, summariseNull, type NullSummary } from './pooled-null';
export { networkQValues, verdictRule, verdictsFor, type VerdictOptions, type VerdictRule } from './verdicts';
export { bootstrapChannelRefit, rankConfidenceSets, type RankConfidence, type RankSet } from './rank-inference';
export { disattenuatedCorrelation, reliabilityOf, type Disattenuated, type Reliability } from './reliability';
export { aucWithCi, baselineTests, randomFilterVerdict, spearmanWithCi, type AucInterval, type BaselineTests, type RandomFilterVerdict, type SpearmanInterval } from './sanity';
export { rankAgreement, bivariateNormalSpearman, type RankAgreement, type Interval } from './agreement';
export { groupScore, maxGroupPredictors, type GroupScore, type GroupOptions } from './group';
