/** `pcace` command line: dispatches subcommands; user errors exit 2 with a message. */
import { aceCommand, ACE_USAGE } from './ace-command';
import { UsageError } from './errors';
import { PcaceInputError } from '../pcace/validate';

const COMMANDS: Record<string, { usage: string; run: (argv: string[], out: (s: string) => void) => number | Promise<number> }> = {
  ace: { usage: ACE_USAGE, run: aceCommand },
};

const USAGE = `usage: pcace <command> [options]

commands:
${Object.values(COMMANDS)
  .map((c) => '  ' + c.usage.split('\n')[0])
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
    return await command.run(rest, out);
  } catch (err) {
    if (err instanceof UsageError || err instanceof PcaceInputError || isParseArgsError(err)) {
      process.stderr.write(`pcace ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS');
}
