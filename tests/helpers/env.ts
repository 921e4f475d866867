/** Environment variables a test sets for a while. */
import { embeddedConfig, type EmbeddedPostgresConfig } from '../../lib/db/url';

/** Sets each of `vars` in process.env (undefined: unsets it); returns what puts the earlier values back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  const before = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  apply(vars);
  return () => apply(before);
}

/** The embedded PostgreSQL's config as the portal reads it with PCACE_DATA_DIR=`dataDir` and PCACE_PG_PORT=`pgPort`; the environment is left as it was. */
export function embeddedConfigAt(dataDir: string, pgPort: number): EmbeddedPostgresConfig {
  const restore = setEnv({ PCACE_DATA_DIR: dataDir, PCACE_PG_PORT: String(pgPort) });
  try {
    return embeddedConfig();
  } finally {
    restore();
  }
}
