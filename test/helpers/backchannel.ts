// A departmental app's back-channel logout endpoint: collects every logout_token posted to it.
import http from 'node:http';
import type net from 'node:net';

export interface BackchannelReceiver {
  /** register this as the client's backchannel_logout_uri */
  url: string;
  tokens: string[];
  close(): Promise<void>;
}

export async function startBackchannelReceiver(): Promise<BackchannelReceiver> {
  const tokens: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    tokens,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
