/** `pcace` command line: dispatches subcommands; user errors exit 2 with a message. */
import { UsageError } from './errors';
import { PcaceInputError } from '../pcace/validate';

type Run = (argv: string[], out: (s: string) => void) => number | Promise<number>;

// Commands load lazily: `pcace ace` should not pay for ONNX Runtime or TF.js.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Run> }> = {
  ace: { summary: 'ace --x X.csv --y Y.csv [--cat 0,2] [--flavour acepack|pcace-2021] [--json]', load: async () => (await import('./ace-command')).aceCommand },
  rank: { summary: 'rank --model FILE --data SOURCE --class C --out results.json [options]', load: async () => (await import('./rank-command')).rankCommand },
  layers: { summary: 'layers --model FILE [--json]', load: async () => (await import('./layers-command')).layersCommand },
};

const USAGE = `usage: pcace <command> [options]

commands:
${Object.values(COMMANDS)
  .map((c) => '  pcace ' + c.summary)
  .join('\n')}

pcace <command> --help shows a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s + '\n');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    out(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`pcace: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (await command.load())(rest, out);
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`pcace ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

function isUserError(err: unknown): boolean {
  if (err instanceof UsageError || err instanceof PcaceInputError) return true;
  const code = (err as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS');
}
