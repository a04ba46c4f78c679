/**
 * Process-wide state of one CLI run: the abort signal that Ctrl-C (SIGINT) and SIGTERM trigger, so
 * long jobs stop cleanly and remove their partial files instead of dying mid-write.
 */
const controller = new AbortController();

export const runSignal: AbortSignal = controller.signal;

/** Exit code for a run stopped by a signal: 128 + the signal number, as shells expect. */
export let interruptedExitCode = 0;

let installed = false;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const stop = (name: 'SIGINT' | 'SIGTERM', code: number) => () => {
    if (controller.signal.aborted) process.exit(code); // a second Ctrl-C: leave at once
    interruptedExitCode = code;
    process.stderr.write(`\ndarklens: ${name === 'SIGINT' ? 'interrupted' : 'terminated'}, cleaning up\n`);
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on('SIGINT', stop('SIGINT', 130));
  process.on('SIGTERM', stop('SIGTERM', 143));
}

/** Exit code of a command that finished but must report a negative outcome (e.g. a failed quality gate). */
let outcomeExitCode = 0;

export function setOutcomeExitCode(code: number): void {
  outcomeExitCode = code;
}

export function finishedExitCode(): number {
  return outcomeExitCode;
}
