/**
 * node:http ↔ the App (web Request → Response). Reads a body only up to the limit (413 beyond, from the
 * Content-Length header when it is declared), streams response bodies as they are produced while respecting
 * each socket's backpressure (a slow reader only slows its own stream; the engine never waits for a socket),
 * and aborts the request's signal when the client disconnects before the response ended (the app then aborts
 * the request in the scheduler, freeing its KV blocks). `answer` is the socket-free part, for tests.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { App } from './app.js';
import { REQUEST_RECEIVE_TIMEOUT_S, HEADERS_RECEIVE_TIMEOUT_S } from './limits.js';
import { HttpError } from './openai.js';

/** What node:http hands over, before it becomes a web Request. */
export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** null for GET/HEAD (their bodies are never read). */
  readonly body: Uint8Array | null;
  readonly signal: AbortSignal;
}

const ROUTE_METHODS = new Set(['GET', 'POST', 'HEAD']);

function errorResponse(e: HttpError): Response {
  return new Response(JSON.stringify(e.body()), { status: e.status, headers: { 'content-type': 'application/json', ...e.headers } });
}

/** A raw request → the app's Response. Never throws: anything the web Request cannot carry is a 4xx. */
export async function answer(app: App, raw: RawRequest, hostForUrls: string): Promise<Response> {
  // The web Request refuses methods such as CONNECT or TRACE; no route takes anything but GET or POST.
  if (!ROUTE_METHODS.has(raw.method)) return errorResponse(new HttpError(405, `${raw.method.slice(0, 20)} is not allowed; routes take GET or POST.`, null, 'method_not_allowed'));
  let url: URL;
  try {
    url = new URL(raw.url, `http://${hostForUrls}`);
  } catch {
    return errorResponse(new HttpError(400, 'The request URL cannot be parsed.', null, 'invalid_url'));
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw.headers)) {
    if (typeof v !== 'string') continue;
    try {
      headers.set(k, v);
    } catch {
      return errorResponse(new HttpError(400, `The request header '${k.slice(0, 40)}' is not a valid header.`, null, 'invalid_header'));
    }
  }
  let request: Request;
  try {
    request = new Request(url, { method: raw.method, headers, body: raw.method === 'POST' ? raw.body : null, signal: raw.signal });
  } catch (e) {
    return errorResponse(new HttpError(400, `The request cannot be read: ${e instanceof Error ? e.message : String(e)}.`, null, 'invalid_request'));
  }
  try {
    return await app(request);
  } catch (e) {
    return errorResponse(new HttpError(500, `Internal error: ${e instanceof Error ? e.message : String(e)}`, null, 'internal_error'));
  }
}

/** Reads the body; null when it exceeds maxBytes (then the rest is discarded, not buffered). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      n += c.length;
      if (n > maxBytes) {
        cleanup();
        chunks.length = 0;
        req.resume(); // discard the rest; node's request timeout bounds how long that may take
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the client closed the connection while sending the body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Resolves when the socket accepts more data or the response is gone. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes a Response; waits on 'drain' whenever the socket's buffer is full (per-connection backpressure). */
export async function writeResponse(res: ServerResponse, r: Response, closeConnection: boolean): Promise<void> {
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  if (closeConnection) headers['connection'] = 'close';
  res.writeHead(r.status, headers);
  if (!r.body) {
    res.end();
    return;
  }
  // Send a stream's status line and headers now: a queued stream's first event may be seconds away.
  if (headers['content-type']?.startsWith('text/event-stream')) res.flushHeaders();
  const reader = r.body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await writable(res);
    }
    if (!res.destroyed) res.end();
  } finally {
    res.off('close', cancel);
  }
}

/** Responses in flight, so a graceful shutdown can wait for them. */
export class InFlight {
  private n = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.n;
  }

  begin(): void {
    this.n++;
  }

  end(): void {
    if (--this.n > 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once no response is in flight. */
  idle(): Promise<void> {
    return this.n === 0 ? Promise.resolve() : new Promise((res) => this.waiters.push(res));
  }
}

export interface HttpOptions {
  readonly hostForUrls: string;
  readonly maxBodyBytes: number;
  readonly inFlight?: InFlight;
}

export function createHttpServer(app: App, opts: HttpOptions): Server {
  const server = createServer((req, res) => {
    opts.inFlight?.begin();
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
      opts.inFlight?.end();
    });
    void (async () => {
      try {
        const method = req.method ?? 'GET';
        const body = method === 'POST' ? await readBody(req, opts.maxBodyBytes) : null;
        const response = body === null && method === 'POST'
          ? errorResponse(new HttpError(413, `The request body exceeds ${opts.maxBodyBytes} bytes (--max-body-bytes).`, null, 'body_too_large', 'invalid_request_error', { connection: 'close' }))
          : await answer(app, { method, url: req.url ?? '/', headers: req.headers, body, signal: ac.signal }, opts.hostForUrls);
        if (res.destroyed) {
          await response.body?.cancel().catch(() => {});
          return;
        }
        await writeResponse(res, response, app.draining || response.headers.get('connection') === 'close');
      } catch (e) {
        if (res.destroyed) return;
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: { message: `Internal error: ${e instanceof Error ? e.message : String(e)}`, type: 'server_error', param: null, code: 'internal_error' } }));
        } else {
          res.destroy();
        }
      }
    })();
  });
  // Bounds how long a client may take to send its headers and body (slow uploads); node answers 408.
  server.headersTimeout = HEADERS_RECEIVE_TIMEOUT_S * 1000;
  server.requestTimeout = REQUEST_RECEIVE_TIMEOUT_S * 1000;
  return server;
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
