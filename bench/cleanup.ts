// What the bench must undo however it ends: servers and PgBouncer to stop,
// databases and folders to remove. Each resource registers its undo before it
// exists and runs it (once) when it is done with; on SIGINT or SIGTERM,
// bench.ts runs whatever is still registered, newest first, then exits.

interface Task {
  label: string;
  run: () => Promise<void>;
}

const pending: Task[] = [];
let interruptedBy: string | null = null;

export class Interrupted extends Error {
  constructor(signal: string) {
    super(`bench: interrupted (${signal})`);
  }
}

/**
 * Registers `undo`; returns a function that runs it once and unregisters it.
 * After an interruption nothing new may start: it throws Interrupted.
 */
export function untilCleanedUp(label: string, undo: () => Promise<void> | void): () => Promise<void> {
  if (interruptedBy) throw new Interrupted(interruptedBy);
  let done: Promise<void> | null = null;
  const task: Task = {
    label,
    run: () => {
      // Once, whoever comes first: the owner's finally or the signal handler.
      done ??= (async () => {
        const i = pending.indexOf(task);
        if (i >= 0) pending.splice(i, 1);
        await undo();
      })();
      return done;
    },
  };
  pending.push(task);
  return task.run;
}

/** Throws Interrupted once a signal arrived: the bench stops between steps rather than start another. */
export function checkInterrupted(): void {
  if (interruptedBy) throw new Interrupted(interruptedBy);
}

export function interrupted(): boolean {
  return interruptedBy !== null;
}

/** Runs every registered undo, newest first; failures are logged, not thrown, so the rest still run. */
export async function cleanUpAfter(signal: string, log: (line: string) => void): Promise<void> {
  interruptedBy = signal;
  while (pending.length > 0) {
    const task = pending.pop()!;
    try {
      await task.run();
    } catch (e) {
      log(`bench: cleaning up (${task.label}) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * Runs each undo in turn, newest first, even when one fails: a failure is
 * logged, so that it neither stops the rest nor hides the error that ended
 * the bench.
 */
export async function undoAll(undos: (() => Promise<void> | undefined)[], log: (line: string) => void): Promise<void> {
  while (undos.length > 0) {
    try {
      await undos.pop()!();
    } catch (e) {
      log(`bench: cleaning up failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** What is still registered (for tests). */
export function pendingCleanups(): string[] {
  return pending.map((t) => t.label);
}
