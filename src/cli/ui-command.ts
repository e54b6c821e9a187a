import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { createUiServer } from '../web/server.js';
import { webAsset } from './web-assets.js';

export interface UiFlags {
  port: string;
  host: string;
  export?: string;
}

/** `phasewise ui`: serve the page locally, or write it as a static site (`--export DIR`). */
export async function uiCommand(f: UiFlags): Promise<void> {
  const page = webAsset('index.html');
  if (f.export !== undefined) {
    const file = path.join(f.export, 'index.html');
    try {
      fs.mkdirSync(f.export, { recursive: true });
      fs.writeFileSync(file, page);
    } catch (e) {
      throw new UsageError('--export', f.export, `a directory phasewise can write (${(e as Error).message})`);
    }
    process.stdout.write(`wrote ${file} (${(Buffer.byteLength(page) / 1e6).toFixed(1)} MB): open it in a browser or publish the folder as a static site; it needs no server and no network.\n`);
    return;
  }
  const port = Number(f.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port', f.port, 'a TCP port from 0 to 65535 (0: any free port)');
  const server = createUiServer(() => page);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new UsageError('--port', f.port, `a free port on ${f.host} (${e.code ?? e.message})`, 'Pick another with --port, or --port 0 for any free one.')),
    );
    server.listen(port, f.host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const host = f.host.includes(':') ? `[${f.host}]` : f.host;
  process.stdout.write(`phasewise UI at http://${host}:${actual}/ (Ctrl-C to stop; simulations run in your browser)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
