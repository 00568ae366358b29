// libuv's thread pool runs the argon2id hashes (19 MiB each). Its default of
// 4 threads lets 4 logins hash at once per process: on 2 cores that buys no
// throughput, only memory (about 80 MiB more peak RSS per worker under a
// login burst, see BENCHMARKS.md). Two threads keep both cores busy. Set
// before the pool's first use (it starts lazily); an operator's own
// UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= "2";
