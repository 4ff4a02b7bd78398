// A local population-base check (二要素核验) speaking Yitong's IDV protocol: POST JSON
// {"id_number", "name"} with `Authorization: Bearer TOKEN`, answering {"result": "match" |
// "mismatch" | "not_found"}. `people` is the population base (ID number -> name). `mode`:
// `ok`; `down` (503); `hang` (no answer: the client's timeout); `flaky` (503 for the next
// `failures` requests, then ok). A wrong token is 401, a malformed body 400.
import http from 'node:http';
import type net from 'node:net';

export const IDV_TOKEN = 'idv-test-token';

export interface IdvServer {
  url: string;
  env: Record<string, string>;
  mode: 'ok' | 'down' | 'hang';
  /** 503 for this many more requests, whatever the mode */
  failNext: number;
  calls: { id_number: string; name: string; status: number; result?: string }[];
  people: Map<string, string>;
  close(): Promise<void>;
}

export async function startIdvServer(people: Record<string, string> = {}): Promise<IdvServer> {
  const held = new Set<http.ServerResponse>();
  const state: Pick<IdvServer, 'mode' | 'failNext' | 'calls' | 'people'> = { mode: 'ok', failNext: 0, calls: [], people: new Map(Object.entries(people)) };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const send = (status: number, body: unknown, record: { id_number: string; name: string }) => {
        state.calls.push({ ...record, status, result: (body as { result?: string })?.result });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      let body: { id_number?: unknown; name?: unknown } = {};
      try {
        body = JSON.parse(raw);
      } catch {
        body = {};
      }
      const record = { id_number: String(body.id_number ?? ''), name: String(body.name ?? '') };
      if (state.mode === 'hang') {
        state.calls.push({ ...record, status: 0 });
        return void held.add(res);
      }
      if (state.failNext > 0 || state.mode === 'down') {
        if (state.failNext > 0) state.failNext--;
        return send(503, { error: 'unavailable' }, record);
      }
      if (req.method !== 'POST' || req.url !== '/verify') return send(404, { error: 'not_found' }, record);
      if (req.headers.authorization !== `Bearer ${IDV_TOKEN}`) return send(401, { error: 'unauthorized' }, record);
      if (!String(req.headers['content-type']).startsWith('application/json') || typeof body.id_number !== 'string' || typeof body.name !== 'string') {
        return send(400, { error: 'bad_request' }, record);
      }
      const known = state.people.get(body.id_number);
      send(200, { result: known === undefined ? 'not_found' : known === body.name ? 'match' : 'mismatch' }, record);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const url = `http://127.0.0.1:${port}/verify`;
  const obj = {
    url,
    env: { IDV_URL: url, IDV_TOKEN, IDV_TIMEOUT_MS: '500', IDV_RETRIES: '1' },
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get failNext() {
      return state.failNext;
    },
    set failNext(n) {
      state.failNext = n;
    },
    calls: state.calls,
    people: state.people,
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  } as IdvServer;
  return obj;
}
