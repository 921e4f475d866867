/** Environment variables a test sets for a while. */

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
