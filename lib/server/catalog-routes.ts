/**
 * The API routes of one catalog entry (a dataset, a model): GET it, DELETE it
 * (409 with the analyses that still use it) and PATCH {"archived"} to hide it
 * from the pickers. Datasets and models answer alike, so both route files are
 * built here.
 */
import { withLab, type LabContext } from './access';
import { archiveBody, InUseError } from './deletion';
import { parseWith } from './errors';

interface CatalogEntry<Row> {
  /** The route's id parameter ('datasetId'). */
  param: string;
  /** The response key ('dataset'). */
  key: string;
  get(labId: string, id: string): Promise<Row>;
  remove(ctx: LabContext, id: string): Promise<unknown>;
  archive(ctx: LabContext, id: string, archived: boolean): Promise<Row>;
  json(row: Row): unknown;
}

/** GET of a catalog list: { [key]: rows as JSON } for viewers of the lab. */
export function catalogListRoute<Row>(key: string, list: (labId: string) => Promise<Row[]>, json: (row: Row) => unknown) {
  return withLab(async (_req, ctx) => Response.json({ [key]: (await list(ctx.lab.id)).map(json) }), { role: 'viewer' });
}

export function catalogEntryRoutes<Row>(entry: CatalogEntry<Row>) {
  const id = (ctx: { params: Record<string, string> }) => ctx.params[entry.param];
  return {
    GET: withLab<{ lab: string } & Record<string, string>>(
      async (_req, ctx) => Response.json({ [entry.key]: entry.json(await entry.get(ctx.lab.id, id(ctx))) }),
      { role: 'viewer' },
    ),
    DELETE: withLab<{ lab: string } & Record<string, string>>(
      async (_req, ctx) => {
        try {
          await entry.remove(ctx, id(ctx));
        } catch (err) {
          if (err instanceof InUseError) return Response.json({ error: err.message, analyses: err.analyses }, { status: 409 });
          throw err;
        }
        return new Response(null, { status: 204 });
      },
      { role: 'member' },
    ),
    PATCH: withLab<{ lab: string } & Record<string, string>>(
      async (req, ctx) => {
        const { archived } = parseWith(archiveBody, await req.json().catch(() => undefined), 'request body');
        return Response.json({ [entry.key]: entry.json(await entry.archive(ctx, id(ctx), archived)) });
      },
      { role: 'member' },
    ),
  };
}
