/**
 * The server load test (issue 7): starts `phasewise serve` on the built-in demo model in its own process,
 * runs 64 streaming clients against it over loopback for 60 s (src/server/load-client.ts), checks every
 * answer, and prints the outcome counts, p50/p99 TTFT and the KV blocks in use afterwards; then stops the
 * server with SIGTERM and reports its exit code. Exits 1 if any response was malformed, truncated or lost or
 * the KV blocks did not return to zero.
 *   npm run bench:load [-- --json] [-- --duration 60 --clients 64 --max-seqs 32 --max-queue 128 --topology colocated]
 */
import { DEFAULT_LOAD, runLoad } from '../src/server/load-client.js';
import { spawnServe } from '../src/server/spawn-serve.js';

function flag(argv: readonly string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`loadtest: ${name}: got ${JSON.stringify(v)}; accepted: an integer ≥ 1.\n`);
    process.exit(2);
  }
  return n;
}

async function main(argv: readonly string[]): Promise<void> {
  const json = argv.includes('--json');
  const durationS = positiveInt('--duration', flag(argv, '--duration', String(DEFAULT_LOAD.durationS)));
  const numClients = positiveInt('--clients', flag(argv, '--clients', String(DEFAULT_LOAD.numClients)));
  const serverArgs = ['--max-seqs', flag(argv, '--max-seqs', '32'), '--max-queue', flag(argv, '--max-queue', '128'), '--topology', flag(argv, '--topology', 'colocated')];
  const srv = await spawnServe(serverArgs);
  let exitCode: number | null = null;
  try {
    if (!json) console.log(`server: phasewise serve ${serverArgs.join(' ')} at ${srv.baseUrl}; ${numClients} streaming clients for ${durationS} s …`);
    const r = await runLoad({ ...DEFAULT_LOAD, baseUrl: srv.baseUrl, numClients, durationS });
    exitCode = await srv.stop('SIGTERM');
    const ok = r.numMalformed + r.numTruncated + r.numLost === 0 && r.kvBlocksInUseAfter === 0;
    if (json) {
      console.log(JSON.stringify({ ...r, serverArgs, serverExitCode: exitCode, ok }, null, 2));
    } else {
      console.log(`requests ${r.numRequests}: completed ${r.numCompleted}, 429 ${r.numRejected429}, malformed ${r.numMalformed}, truncated ${r.numTruncated}, lost ${r.numLost}`);
      console.log(`TTFT p50 ${r.ttftP50Ms} ms, p99 ${r.ttftP99Ms} ms; ${r.outputTokens} output tokens, ${r.outputTokensPerS.toFixed(1)} tokens/s over ${r.wallS.toFixed(1)} s`);
      console.log(`KV blocks in use: peak ${r.peakKvBlocksInUse} during the run, ${r.kvBlocksInUseAfter} afterwards (zero after ${r.kvZeroAfterS === null ? 'never' : `${(r.kvZeroAfterS * 1000).toFixed(0)} ms`})`);
      console.log(`server exit code after SIGTERM: ${exitCode}`);
      for (const p of r.problems) console.log(`  problem: ${p}`);
      console.log(ok ? 'OK' : 'FAILED');
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (exitCode === null) await srv.stop('SIGKILL');
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`loadtest: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
