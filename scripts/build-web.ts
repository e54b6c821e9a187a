/**
 * Build the web UI and the chart runtime of the HTML reports (run by `npm run build` / `npm ci` after tsc):
 *
 *   dist/web/index.html          the whole UI in one file: page, app script, and the Web Worker's source (the
 *                                core + bundled models and traces) as an inert <script> the app starts a worker
 *                                from. Works from a server or straight from the file, with no network.
 *   dist/web/report-runtime.js   Chart.js + drawing code inlined into `phasewise report` / `frontier --out` pages.
 *
 * esbuild bundles straight from src/ (TypeScript) for the browser; a Node API in the core fails the build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { builtinModelIds, loadModel } from '../src/cli/load.js';
import type { ModelArch } from '../src/models/types.js';
import { pageHtml } from '../src/web/page.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, 'dist', 'web');
/** Traces bundled into the page (the arXiv one is long prompts only, and 0.9 MB: left out). */
const WEB_TRACES = { splitwise_conv: 'splitwise_conv.csv', splitwise_code: 'splitwise_code.csv' };

async function bundle(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [path.join(ROOT, 'src', 'web', 'browser', entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    // DDSketch requires protobufjs lazily, only to serialise a sketch, which phasewise never does.
    external: ['protobufjs/minimal'],
    logLevel: 'error',
  });
  return r.outputFiles[0]!.text;
}

/** Inline-script safe: no `</script` or `<!--` that would end or confuse the element (both are in strings). */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export async function buildWeb(): Promise<{ indexBytes: number; runtimeBytes: number; models: number }> {
  const models: Record<string, ModelArch> = {};
  const unsupported: string[] = [];
  for (const id of builtinModelIds()) {
    try {
      models[id] = loadModel(id);
    } catch {
      // The parser's own error says why (e.g. DeepSeek-V4 compressed attention); `phasewise show model ID` prints it.
      unsupported.push(id);
    }
  }
  if (unsupported.length > 0) process.stderr.write(`build-web: left out ${unsupported.length} model(s) the parser does not support: ${unsupported.join(', ')}\n`);
  const traces: Record<string, string> = {};
  for (const [name, file] of Object.entries(WEB_TRACES)) traces[name] = fs.readFileSync(path.join(ROOT, 'data', 'traces', file), 'utf8');
  const [worker, app, runtime] = await Promise.all([bundle('worker.ts'), bundle('app.ts'), bundle('report-runtime.ts')]);
  const workerSource = `self.__PHASEWISE_DATA__=${JSON.stringify({ models, traces })};\n${worker}`;
  fs.mkdirSync(OUT, { recursive: true });
  const html = pageHtml({ workerSource: scriptSafe(workerSource), appSource: scriptSafe(app) });
  fs.writeFileSync(path.join(OUT, 'index.html'), html);
  fs.writeFileSync(path.join(OUT, 'report-runtime.js'), scriptSafe(runtime));
  return { indexBytes: Buffer.byteLength(html), runtimeBytes: Buffer.byteLength(runtime), models: Object.keys(models).length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const t0 = Date.now();
  buildWeb().then(
    (r) =>
      process.stdout.write(
        `build-web: dist/web/index.html ${(r.indexBytes / 1e6).toFixed(2)} MB (${r.models} models), report-runtime.js ${(r.runtimeBytes / 1e3).toFixed(0)} kB in ${Date.now() - t0} ms\n`,
      ),
    (e: unknown) => {
      process.stderr.write(`build-web failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
