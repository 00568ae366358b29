import { readFileSync } from "node:fs";
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

  /**
   * Resolves once the server's process has read every byte written so far:
   * none left in our socket's buffers (the server's kernel acknowledged them)
   * and none waiting in the server's receive queue for this connection (its
   * process took them, through the primary for a cluster). Linux, IPv4:
   * the queues are read from /proc/net/tcp.
   */
  async readByServer(timeoutMs = 10_000): Promise<void> {
    const ours = procAddress(this.socket.localAddress, this.socket.localPort);
    const theirs = procAddress(this.socket.remoteAddress, this.socket.remotePort);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queues = tcpQueues();
      const unacked = queues.get(`${ours} ${theirs}`)?.tx;
      const unread = queues.get(`${theirs} ${ours}`)?.rx;
      if (this.socket.writableLength === 0 && unacked === 0 && unread === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the server had not read what was sent within ${timeoutMs} ms: ${this.socket.writableLength} bytes buffered here, ${unacked} unacknowledged, ${unread} unread on the server's side`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** An IPv4 address and port as /proc/net/tcp writes them: "0100007F:1F90" for 127.0.0.1:8080. */
function procAddress(address: string | undefined, port: number | undefined): string {
  const bytes = address?.split(".").map(Number);
  if (bytes?.length !== 4 || port === undefined) throw new Error(`not an IPv4 connection: ${address}:${port}`);
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
  return `${bytes
    .map((b) => hex(b, 2))
    .reverse()
    .join("")}:${hex(port, 4)}`;
}

/** Each IPv4 TCP socket's send and receive queues (bytes), by "local remote" address. */
function tcpQueues(): Map<string, { tx: number; rx: number }> {
  const queues = new Map<string, { tx: number; rx: number }>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...
    const [, local, remote, , txRx] = line.trim().split(/\s+/);
    if (!txRx) continue;
    const [tx, rx] = txRx.split(":").map((q) => Number.parseInt(q, 16));
    queues.set(`${local} ${remote}`, { tx: tx!, rx: rx! });
  }
  return queues;
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
