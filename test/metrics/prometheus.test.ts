import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObtainTokenDocument } from "../generated/graphql";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { postOnOwnConnection, startProcess, stopCleanly, type ServerProcess } from "../support/processes";
import { itWithTool } from "../support/system-tool";

// A real Prometheus (Debian's package) scrapes the server with the README's
// scrape config, docs/prometheus.yml, as written but for the target's
// address, and the figures come back through Prometheus's HTTP API.

const PROMETHEUS = "/usr/bin/prometheus";
const CONFIG = join(__dirname, "..", "..", "docs", "prometheus.yml");
/** The example's target, which the test replaces by the server's metrics address. */
const EXAMPLE_TARGETS = 'targets: ["127.0.0.1:9464"]';
jest.setTimeout(180_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface QueryResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe(`Prometheus scrapes the server with docs/prometheus.yml (${testDatabase()})`, () => {
  let server: ServerProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let exited: Promise<unknown> | undefined;
  let log = "";
  const dir = mkdtempSync(join(tmpdir(), "dtg-prometheus-"));

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await stopCleanly(server);
  });

  itWithTool(PROMETHEUS, "prometheus")(
    "finds the requests sent, summed over two workers, through its HTTP API",
    async () => {
      server = await startProcess({
        DATABASE_URL: await freshDatabaseUrl(),
        WEB_CONCURRENCY: "2",
        MIGRATE_ON_START: "true",
        METRICS: "port:0",
        LOGIN_RATE: "1000/min",
      });
      const target = (await server.waitFor(/^Metrics: http:\/\/(\S+)\/metrics$/m))[1]!;
      const N = 7;
      // Failed logins: anonymous requests that count in two series.
      for (let i = 0; i < N; i++) {
        const res = await postOnOwnConnection(server.url, ObtainTokenDocument, { username: "amit", password: "wrong" });
        expect(res.body.errors).toHaveLength(1);
      }

      const example = readFileSync(CONFIG, "utf8");
      expect(example.split(EXAMPLE_TARGETS)).toHaveLength(2);
      writeFileSync(join(dir, "prometheus.yml"), example.replace(EXAMPLE_TARGETS, `targets: ["${target}"]`));
      const api = `http://127.0.0.1:${await freePort()}`;
      prometheus = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=${new URL(api).host}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      prometheus.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      prometheus.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      exited = new Promise((resolve) => prometheus!.once("exit", resolve));

      const query = async (expr: string): Promise<QueryResult["data"]["result"]> => {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as QueryResult;
        if (body.status !== "success") throw new Error(`${expr}: ${JSON.stringify(body)}`);
        return body.data.result;
      };
      // The first scrape comes within one scrape_interval (15 s in the example).
      const deadline = Date.now() + 60_000;
      for (;;) {
        const up = await query('up{job="drf-token-graphql"}').catch(() => []);
        if (up[0]?.value[1] === "1") break;
        if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
        if (Date.now() > deadline)
          throw new Error(`no successful scrape within 60 s (up: ${JSON.stringify(up)}):\n${log}`);
        await new Promise((r) => setTimeout(r, 250));
      }

      const requests = await query('graphql_requests_total{job="drf-token-graphql",operation="ObtainToken"}');
      expect(requests.map((r) => [r.metric, r.value[1]])).toEqual([
        [
          {
            __name__: "graphql_requests_total",
            instance: target,
            job: "drf-token-graphql",
            type: "mutation",
            operation: "ObtainToken",
            outcome: "BAD_USER_INPUT",
            status: "200",
          },
          String(N),
        ],
      ]);
      const latency = await query('graphql_request_duration_seconds_count{operation="ObtainToken"}');
      expect(latency.map((r) => r.value[1])).toEqual([String(N)]);
      const refused = await query('auth_password_checks_total{result="refused"}');
      expect(refused.map((r) => r.value[1])).toEqual([String(N)]);
      const cpu = await query('process_cpu_seconds_total{job="drf-token-graphql"}');
      expect(Number(cpu[0]?.value[1])).toBeGreaterThan(0);
    },
  );
});
