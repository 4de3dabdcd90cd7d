import { Command, CommanderError } from 'commander';
import { exportCommand } from './commands/export.command';
import { requestCommand } from './commands/request.command';
import { statusCommand } from './commands/status.command';
import { verifyCommand } from './commands/verify.command';
import { CliError, EXIT } from './io';

/** The `lethe` program: one binary, a subcommand per everyday job (apps/cli/README.md). */
export function buildProgram(): Command {
  const program = new Command('lethe')
    .description('Lethe: the right to be forgotten for trained models, with proof.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  verifyCommand(program);
  exportCommand(program);
  requestCommand(program);
  statusCommand(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function run(argv: readonly string[]): Promise<number> {
  process.exitCode = EXIT.OK;
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? EXIT.OK);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were printed already.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof CliError) {
      process.stderr.write(`lethe: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`lethe: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.FAILED;
  }
}
