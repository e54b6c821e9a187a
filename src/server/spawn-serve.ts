/**
 * Starts `phasewise serve` as a child process (as a user would) for the load, disconnect and SIGTERM tests and
 * `npm run bench:load`: waits for its `listening on http://…` line and gives back the address and a way to
 * signal it and collect its exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN_JS = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface SpawnedServer {
  readonly baseUrl: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** Sends a signal and waits for the exit; SIGKILL after killAfterS if it is still running. */
  stop(signal?: NodeJS.Signals, killAfterS?: number): Promise<number | null>;
}

/** `extraArgs` follow `serve --port 0`. Rejects if it exits or does not listen within startTimeoutS. */
export function spawnServe(extraArgs: readonly string[], startTimeoutS = 120): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [MAIN_JS, 'serve', '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phasewise serve did not listen within ${startTimeoutS} s; it printed:\n${out}`));
    }, startTimeoutS * 1000);
    const onText = (b: Buffer): void => {
      out += b.toString('utf8');
      // Wait for the whole line: a chunk may end inside the port number.
      const m = /listening on (http:\/\/\S+)\r?\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onText);
        child.stdout.on('data', (x: Buffer) => (out += x.toString('utf8')));
        resolve({
          baseUrl: m[1]!,
          child,
          output: () => out,
          exited,
          stop: async (signal = 'SIGTERM', killAfterS = 60) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            const t = setTimeout(() => child.kill('SIGKILL'), killAfterS * 1000);
            const code = await exited;
            clearTimeout(t);
            return code;
          },
        });
      }
    };
    child.stdout.on('data', onText);
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`phasewise serve exited (code ${code}) before listening; it printed:\n${out}`));
    });
  });
}
