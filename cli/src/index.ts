import { Command, CommanderError } from 'commander';
import { isDarklensError } from '@darklens/core';
import { demoCommand } from './commands/demo.js';
import { infoCommand } from './commands/info.js';
import { renderCommand } from './commands/render.js';
import { sheetCommand } from './commands/sheet.js';
import { simulateCommand } from './commands/simulate.js';
import { splitsCommand } from './commands/splits.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('darklens')
    .description('darklens: find dark-matter substructure in strong gravitational lenses')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [simulateCommand(), splitsCommand(), renderCommand(), sheetCommand(), infoCommand(), demoCommand()]) {
    program.addCommand(cmd.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 unexpected failure, 2 bad input or usage. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isDarklensError(e)) {
      process.stderr.write(`darklens: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
      process.stderr.write(`darklens: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`darklens: unexpected error: ${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
