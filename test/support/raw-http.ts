import net from "node:net";

// HTTP at the byte level, for what fetch and node:http will not send (no
// Host, two Host or Authorization headers, HTTP/1.0) and for watching one
// connection across several requests (keep-alive, shutdown).

export interface RawResponse {
  status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/** Splits one response off the front of `data`; null while it is incomplete. */
export function parseResponse(data: Buffer, head = false): { response: RawResponse; rest: Buffer } | null {
  const end = data.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const lines = data.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = head || status === 204 || status === 304 ? 0 : Number(headers["content-length"] ?? 0);
  if (data.length < end + 4 + length) return null;
  return {
    response: { status, headers, body: data.subarray(end + 4, end + 4 + length).toString("utf8") },
    rest: data.subarray(end + 4 + length),
  };
}

/** One connection; requests are written as given, answers read in order. */
export class RawConnection {
  readonly socket: net.Socket;
  private data: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Set when the connection ends: "end" (the server closed it cleanly) or the error's code. */
  closedBy: string | null = null;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("error", (e: NodeJS.ErrnoException) => (this.closedBy ??= e.code ?? e.message));
      socket.on("close", () => {
        this.closedBy ??= "end";
        this.wake();
        resolve();
      });
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** The next answer on this connection; rejects if the connection closes first. */
  async read(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (;;) {
      const parsed = parseResponse(this.data, opts.head);
      if (parsed) {
        this.data = parsed.rest;
        return parsed.response;
      }
      if (this.closedBy !== null)
        throw new Error(
          `connection closed (${this.closedBy}) before a full answer: ${JSON.stringify(this.data.toString())}`,
        );
      if (Date.now() > deadline) throw new Error("no answer in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `request` (CRLFs included) on a connection of its own and reads one answer. */
export async function rawRequest(url: string, request: string, opts: { head?: boolean } = {}): Promise<RawResponse> {
  const conn = await RawConnection.open(url);
  try {
    conn.write(request);
    return await conn.read(opts);
  } finally {
    conn.destroy();
  }
}

/** A POST /graphql with a JSON body, as text to write. */
export function postText(body: string, headers: Record<string, string> = {}): string {
  const lines = Object.entries({
    host: "localhost",
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
  });
  return `POST /graphql HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n${body}`;
}
