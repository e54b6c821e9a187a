/**
 * node:http ↔ the App (web Request → Response). Streams response bodies as they are produced and aborts the
 * request's signal when the client disconnects before the response ended (the app then aborts the request in
 * the scheduler, freeing its KV blocks).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { App } from './app.js';

async function toRequest(req: IncomingMessage, signal: AbortSignal, host: string): Promise<Request> {
  const chunks: Buffer[] = [];
  if (req.method !== 'GET' && req.method !== 'HEAD') for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  return new Request(`http://${host}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    body: chunks.length > 0 ? Buffer.concat(chunks) : null,
    signal,
  });
}

async function writeResponse(res: ServerResponse, r: Response): Promise<void> {
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(r.status, headers);
  if (!r.body) {
    res.end();
    return;
  }
  const reader = r.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (res.destroyed) break;
    res.write(value);
  }
  res.end();
}

export function createHttpServer(app: App, hostForUrls: string): Server {
  return createServer((req, res) => {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    void (async () => {
      try {
        const request = await toRequest(req, ac.signal, hostForUrls);
        await writeResponse(res, await app(request));
      } catch (e) {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `Internal error: ${e instanceof Error ? e.message : String(e)}`, type: 'server_error', param: null, code: 'internal_error' } }));
        } else {
          res.destroy();
        }
      }
    })();
  });
}

/** Listens on host:port (port 0 = any free port); resolves with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
