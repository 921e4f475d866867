/** Input schemas shared by the API and the pages' server actions. */
import { z } from 'zod';
import { OPTION_LIST, REFUSALS, checkValue, nounOf, withDefaults, type FullOptions, type OptionDecl, type OptionName } from '../analysis/options';

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

/** One option's schema, from its declaration: the same check and message as validateOptions. */
function optionSchema<K extends OptionName>(d: OptionDecl<K>): z.ZodType<FullOptions[K]> {
  return z.custom<FullOptions[K]>().superRefine((v, ctx) => {
    const bad = checkValue(d, v);
    if (bad) ctx.addIssue({ code: 'custom', message: bad });
  });
}

/**
 * The options of an analysis (AnalysisSpec minus model, dataset, target,
 * layers), derived from their declaration in lib/analysis/options.ts: every
 * option optional (withDefaults fills the rest), no other keys, and the
 * refused combinations that need no model or dataset refused here with the
 * declared message at the option they are about.
 */
export const analysisOptionsSchema = z
  .object(Object.fromEntries(OPTION_LIST.map((d) => [d.name, optionSchema(d).optional()])) as { [K in OptionName]: z.ZodOptional<z.ZodType<FullOptions[K]>> })
  .strict()
  .superRefine((v, ctx) => {
    // Combinations are judged on valid values only (a bad value has its own issue already).
    if (OPTION_LIST.some((d) => v[d.name] !== undefined && checkValue(d, v[d.name]))) return;
    const full = withDefaults(v);
    for (const r of REFUSALS) {
      if (!r.needs && r.refused(full, {})) ctx.addIssue({ code: 'custom', path: [r.field], message: r.message(full, nounOf) });
    }
  });

/** The declared option names, as the schema knows them (tests compare them with the declaration). */
export const analysisOptionKeys = Object.keys(analysisOptionsSchema.shape) as OptionName[];

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
