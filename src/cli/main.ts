import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../server/config.ts';
import { AppError } from '../server/errors.ts';
import { commands, usage, UsageError } from './commands.ts';

/** `rapport <command> [subcommand] [--options]`; bad arguments print usage and exit 2. */
async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  const twoWord = first && second && commands[`${first} ${second}`] ? `${first} ${second}` : undefined;
  const name = twoWord ?? first;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${argv.slice(0, 2).join(' ')}".\n\n${usage()}`);
    return 2;
  }
  const rest = argv.slice(twoWord ? 2 : 1);
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: Boolean(command.positionals), strict: true });
    const config = loadConfig();
    return await command.run(values as Record<string, string | boolean | string[] | undefined>, config, positionals);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${usage(name)}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78; // EX_CONFIG
    }
    if (error instanceof AppError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
