import { Command, CommanderError } from 'commander';
import { isDarklensError } from '@darklens/core';
import { finishedExitCode, installSignalHandlers, interruptedExitCode, runSignal } from './context.js';
import { calibrateCommand } from './commands/calibrate.js';
import { demoCommand } from './commands/demo.js';
import { infoCommand } from './commands/info.js';
import { renderCommand } from './commands/render.js';
import { sheetCommand } from './commands/sheet.js';
import { simulateCommand } from './commands/simulate.js';
import { splitsCommand } from './commands/splits.js';
import { trainCommand } from './commands/train.js';
import { evaluateCommand } from './commands/evaluate.js';
import { sensitivityCommand } from './commands/sensitivity.js';
import { exportCommand } from './commands/export.js';
import { modelsCommand } from './commands/models.js';
import { serveCommand } from './commands/serve.js';
import { ceilingCommand } from './commands/ceiling.js';
import { scoreCommand } from './commands/score.js';
import { retrainCommand } from './commands/retrain.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('darklens')
    .description('darklens: find dark-matter substructure in strong gravitational lenses')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: writeUsageError })
    .exitOverride();
  for (const cmd of [simulateCommand(), splitsCommand(), renderCommand(), sheetCommand(), infoCommand(), demoCommand(), trainCommand(), evaluateCommand(), calibrateCommand(), sensitivityCommand(), ceilingCommand(), exportCommand(), modelsCommand(), serveCommand(), scoreCommand(), retrainCommand()]) {
    program.addCommand(withDarklensErrors(cmd));
  }
  return program;
}

/** Exit codes and usage errors in darklens's voice, for a command and its subcommands. */
function withDarklensErrors(cmd: Command): Command {
  for (const sub of cmd.commands) withDarklensErrors(sub);
  return cmd.exitOverride().configureOutput({ outputError: writeUsageError }).showHelpAfterError('(run with --help for usage)');
}

/** Commander's own usage errors, in darklens's voice (`darklens: ...` like every other error). */
function writeUsageError(text: string, write: (s: string) => void): void {
  write(text.replace(/^error: /, 'darklens: '));
}

/** File-system failures that are the user's to fix (a path that is missing, taken or not a folder). */
const USER_FS_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EROFS', 'ENAMETOOLONG']);

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 unexpected failure, 2 bad input or usage,
 * 130 / 143 when stopped by Ctrl-C / SIGTERM (after removing partial output).
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  installSignalHandlers();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return finishedExitCode();
  } catch (e) {
    if (runSignal.aborted) return interruptedExitCode;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isDarklensError(e)) {
      process.stderr.write(`darklens: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err?.code !== undefined && USER_FS_ERRORS.has(err.code)) {
      process.stderr.write(`darklens: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`darklens: unexpected error: ${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
