import http from 'node:http';

/**
 * The UI's local server: it only hands out the page (which runs every simulation itself, in a Web Worker).
 * Whatever a client sends, it answers and keeps serving: bad paths get 404, other methods 405, malformed
 * requests 400, and a failure inside a handler 500.
 */
export function createUiServer(page: () => string): http.Server {
  const server = http.createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const body = page();
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-cache',
          // Everything the page needs is in it: no other origin, no network.
          'content-security-policy': "default-src 'self' 'unsafe-inline' blob:; worker-src blob:; img-src 'self' data: blob:; connect-src 'none'",
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the UI is at /\n');
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
