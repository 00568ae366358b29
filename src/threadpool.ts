import { availableParallelism } from "node:os";

// libuv's thread pool runs the argon2id hashes (12 MiB each). Its default of
// 4 threads lets 4 logins hash at once per process: more threads than cores
// buy no throughput, only memory (12 MiB per hash in flight, per process).
// So the cores are shared out among the processes WEB_CONCURRENCY starts,
// at least 1 thread each and at most libuv's 4: on 2 cores, 2 threads for a
// single process, 1 for each of 2 workers. Set before the pool's first use
// (it starts lazily); an operator's own UV_THREADPOOL_SIZE wins.
const processes = Math.max(1, Number.parseInt(process.env.WEB_CONCURRENCY ?? "", 10) || 1);
process.env.UV_THREADPOOL_SIZE ??= String(Math.min(4, Math.max(1, Math.floor(availableParallelism() / processes))));
