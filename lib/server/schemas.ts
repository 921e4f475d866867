/** Input schemas shared by the API and the pages' server actions. */
import { z } from 'zod';
import { OPTION_BOUNDS as B } from '../analysis/defaults';

/** Names of labs, models, datasets: what a person would type, safe in URLs and file names. */
export const objectName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100, 'is longer than 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$/, 'may use letters, digits, spaces and . _ - ( ) +, starting with a letter or digit');

export const labSlug = z
  .string()
  .trim()
  .toLowerCase()
  .min(2, 'needs at least 2 characters')
  .max(40, 'is longer than 40 characters')
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'may use lowercase letters, digits and inner dashes');

export const roleSchema = z.enum(['owner', 'member', 'viewer']);

export const preprocessingSchema = z
  .object({
    width: z.number().int().positive().max(4096),
    height: z.number().int().positive().max(4096),
    channels: z.union([z.literal(1), z.literal(3)]),
    resize: z.enum(['stretch', 'resize-crop', 'pad']),
    resizeTo: z.number().int().positive().max(8192).optional(),
    scale: z.number().positive(),
    mean: z.array(z.number()).min(1).max(3),
    std: z.array(z.number().positive()).min(1).max(3),
    channelOrder: z.enum(['RGB', 'BGR']),
  })
  .strict();

export const inputShapeSchema = z.array(z.number().int().positive().max(8192)).length(3);

export const modelCardSchema = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 64 * 1024, 'is larger than 64 KB');

const componentsSchema = z.union([
  z.number().int().min(B.components.min).max(B.components.max),
  z.literal('half'),
  z.object({ varianceFraction: z.number().gt(0).lte(1) }).strict(),
]);

export const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('class'), index: z.number().int().min(0) }).strict(),
  z
    .object({
      kind: z.literal('regression'),
      index: z.number().int().min(0).optional(),
      source: z.enum(['output', 'dataset']).optional(),
    })
    .strict(),
]);

/** The options of an analysis (AnalysisSpec minus model, dataset, target, layers); defaults in lib/analysis/defaults.ts. */
export const analysisOptionsSchema = z
  .object({
    images: z.number().int().min(B.images.min).max(B.images.max).optional(),
    components: componentsSchema.optional(),
    flavour: z.enum(['acepack', 'pcace-2021']).optional(),
    rankBy: z.enum(['pc1', 'multiple', 'crossfit', 'z_pc1', 'z_multiple']).optional(),
    permutations: z.number().int().min(B.permutations.min).max(B.permutations.max).optional(),
    crossFitRepeats: z.number().int().min(B.crossFitRepeats.min).max(B.crossFitRepeats.max).optional(),
    bootstrap: z.number().int().min(B.bootstrap.min).max(B.bootstrap.max).optional(),
    stabilityComponents: z.array(componentsSchema).max(B.stabilityComponents.max).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    ablation: z.boolean().optional(),
  })
  .strict();

export const createAnalysisSchema = z
  .object({
    modelVersionId: z.string().min(1).max(64),
    datasetId: z.string().min(1).max(64),
    title: z.string().trim().max(200).optional(),
    target: targetSchema,
    layers: z.union([z.literal('all'), z.array(z.string().min(1).max(300)).min(1).max(1000)]).default('all'),
    options: analysisOptionsSchema.default({}),
  })
  .strict();
