import { createInterface, type Interface } from "node:readline";
import { Writable } from "node:stream";

/**
 * Line prompts on one readline interface, so answers piped in several lines
 * at once are not lost between questions. Hidden prompts echo nothing when
 * stdin is a terminal.
 */
export class Prompter {
  private readonly rl: Interface;
  private muted = false;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private closed = false;

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        if (!this.muted) output.write(chunk);
        done();
      },
    });
    this.rl = createInterface({ input, output: sink, terminal: Boolean(input.isTTY) });
    this.rl.on("line", (line) => this.deliver(line));
    // Ctrl-C at a prompt: Django's words and status. Without a listener,
    // readline would only pause and leave the prompt hanging.
    this.rl.on("SIGINT", () => {
      process.stderr.write("\nOperation cancelled.\n");
      process.exit(1);
    });
    this.rl.on("close", () => {
      this.closed = true;
      this.deliver(null);
    });
  }

  get interactive(): boolean {
    return Boolean(this.input.isTTY);
  }

  async ask(question: string, opts: { hidden?: boolean } = {}): Promise<string> {
    this.output.write(question);
    this.muted = Boolean(opts.hidden) && this.interactive;
    try {
      const line = await this.next();
      if (line === null) throw new Error("no more input");
      return line;
    } finally {
      if (this.muted || (opts.hidden && !this.interactive)) this.output.write("\n");
      this.muted = false;
    }
  }

  close(): void {
    this.rl.close();
  }

  private next(): Promise<string | null> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(line: string | null): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(line);
    } else if (line !== null) {
      this.lines.push(line);
    }
  }
}
