// Graceful shutdown (issue 8 item 10): requests already written on open keep-alive connections
// when the server is told to stop all get a complete response; none is reset. /readyz turns 503 at
// once so that the load balancer stops sending, and the server keeps serving for the grace period.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { parseRawResponse, type RawResponse } from '../helpers/raw-http.ts';

const CONNECTIONS = 50;
const PATHS = ['/healthz', '/.well-known/openid-configuration', '/jwks', '/readyz', '/auth?client_id=nobody'];

/** One keep-alive connection: requests written by hand, responses framed by Content-Length. */
class Connection {
  socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  closed = false;
  error: Error | null = null;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname);
    this.socket.on('data', (c: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, c]);
      this.#tryParse();
    });
    this.socket.on('error', (e) => {
      this.error = e;
      this.#waiting?.reject(e);
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.#waiting?.reject(this.error ?? new Error('connection closed before a complete response'));
    });
  }

  #tryParse() {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.#waiting) return;
    const head = parseRawResponse(this.#buffer.subarray(0, end + 4).toString('latin1'));
    const length = Number(head.headers['content-length']);
    if (!Number.isInteger(length)) return this.#waiting.reject(new Error('response without Content-Length'));
    if (this.#buffer.length < end + 4 + length) return;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const w = this.#waiting;
    this.#waiting = null;
    w.resolve({ ...head, body });
  }

  /** Writes a request now (synchronously) and returns its response. */
  send(path: string): Promise<RawResponse> {
    const p = new Promise<RawResponse>((resolve, reject) => (this.#waiting = { resolve, reject }));
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
    this.#tryParse();
    return p;
  }
}

let s: TestServer;
const connections: Connection[] = [];

beforeAll(async () => {
  s = await startTestServer({ SHUTDOWN_GRACE_SECONDS: '1.5' });
});

afterAll(async () => {
  for (const c of connections) c.socket.destroy();
  await s?.close();
});

describe('graceful shutdown', () => {
  it('answers every request written on an open keep-alive connection when stop() comes 20 ms later', async () => {
    for (let i = 0; i < CONNECTIONS; i++) connections.push(new Connection(s.issuer));
    // one exchange each, so every connection is an idle keep-alive connection
    const first = await Promise.all(connections.map((c, i) => c.send(PATHS[i % PATHS.length])));
    expect(first.map((r) => r.headers.connection)).toEqual(Array(CONNECTIONS).fill('keep-alive'));

    // a CONNECT (a tunnel request, not served) is answered, and its socket does not hold the stop
    const tunnel = new Connection(s.issuer);
    const refused = new Promise<string>((resolve) => tunnel.socket.once('data', (c: Buffer) => resolve(c.toString('latin1').split('\r\n')[0])));
    tunnel.socket.write(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 102400\r\n\r\n${'x'.repeat(102400)}`);
    expect(await refused).toBe('HTTP/1.1 405 Method Not Allowed');

    const inFlight = connections.map((c, i) => {
      const path = PATHS[i % PATHS.length];
      return c.send(path).then((r) => ({ path, ...r }), (err: Error & { code?: string }) => err);
    });
    // A busy server: the requests are on the wire and nothing has read them yet when the signal
    // comes (the server runs in this process, so blocking here blocks it too).
    const until = performance.now() + 20;
    while (performance.now() < until);
    const stopped = s.stop();

    const results = await Promise.all(inFlight);
    const failed = results.filter((r) => r instanceof Error).map((r) => (r as Error & { code?: string }).code ?? (r as Error).message);
    expect(failed, `${failed.length} of ${CONNECTIONS} requests got no complete response`).toEqual([]);
    for (const r of results as (RawResponse & { path: string })[]) {
      // complete answers, none a server error (/readyz already says 503: that is the point)
      expect(r.status, r.path).toBe(r.path === '/readyz' ? 503 : r.status < 500 ? r.status : 'a status below 500');
      expect(r.headers.connection, r.path).toBe('close');
    }

    // while draining: not ready, still serving new connections, each answer closes its connection
    const late = new Connection(s.issuer);
    connections.push(late);
    const ready = await late.send('/readyz');
    expect([ready.status, ready.headers.connection]).toEqual([503, 'close']);

    await stopped;
    tunnel.socket.destroy();
    const after = new Connection(s.issuer);
    connections.push(after);
    await expect(after.send('/healthz')).rejects.toThrow();
  });
});
