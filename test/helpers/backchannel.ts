// A departmental app's back-channel logout endpoint: collects every logout_token posted to it.
// `answer` decides the HTTP status of each request (a down app answers 503); `hold` keeps a
// request open without an answer (an app that hangs).
import http from 'node:http';
import type net from 'node:net';

export interface BackchannelReceiver {
  /** register this as the client's backchannel_logout_uri */
  url: string;
  /** tokens of the requests answered 200 */
  tokens: string[];
  /** every request, whatever its answer */
  attempts: { token: string; status: number | 'held'; at: number }[];
  close(): Promise<void>;
}

export async function startBackchannelReceiver(
  opts: { answer?: (attempt: number, token: string) => number | 'hold' } = {},
): Promise<BackchannelReceiver> {
  const tokens: string[] = [];
  const attempts: BackchannelReceiver['attempts'] = [];
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      const status = opts.answer?.(attempts.length, token) ?? 200;
      attempts.push({ token, status: status === 'hold' ? 'held' : status, at: Date.now() });
      if (status === 'hold') return void held.add(res);
      if (status === 200) tokens.push(token);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    tokens,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
