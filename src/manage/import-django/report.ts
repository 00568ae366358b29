import type { Counts } from "./plan";

// What the command prints: on stdout the refused rows (as found) and the
// counts at the end; on stderr, when it is a terminal, one progress line
// redrawn in place, so a pipe or a log file gets no carriage returns.

export interface ImportReport extends Counts {
  source: string;
}

export function formatReport(report: ImportReport, dryRun: boolean): string {
  const skipped = report.skipped.users + report.skipped.keys + report.skipped.students;
  const lines = [
    dryRun ? `Dry run: nothing was written. From ${report.source} it would import:` : `Imported from ${report.source}:`,
    `users: ${report.users}`,
    `keys: ${report.keys}`,
    `students: ${report.students}`,
    `skipped: ${skipped}` +
      (skipped > 0
        ? ` (${report.skipped.users} users, ${report.skipped.keys} keys, ${report.skipped.students} students)`
        : ""),
  ];
  if (report.passwordMustBeReset > 0) {
    lines.push(
      `password must be reset: ${report.passwordMustBeReset} (a Django hasher this server does not check, or costs beyond its bounds)`,
    );
  }
  if (report.unusablePasswords > 0) {
    lines.push(`unusable passwords: ${report.unusablePasswords} (no password login, as in Django)`);
  }
  return lines.join("\n");
}

export interface Progress {
  /** `done` of `total` users (or students) read and checked. */
  update(what: string, done: number, total: number): void;
  /** Clears the line before the report is printed. */
  end(): void;
}

const QUIET: Progress = { update() {}, end() {} };

/** A progress line on `stream` when it is a terminal, redrawn at most every `everyMs`. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, everyMs = 200): Progress {
  if (!stream.isTTY) return QUIET;
  let last = 0;
  let shown = false;
  return {
    update(what, done, total) {
      const now = Date.now();
      if (now - last < everyMs && done < total) return;
      last = now;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      stream.write(`\r\x1b[2K${what}: ${done} of ${total} (${percent}%)`);
      shown = true;
    },
    end() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
