// `npm run loadtest -- --url URL --rate N [...]`: an open-loop load test any operator can run
// against a Yitong deployment (autocannon at a fixed overall request rate, so latency is measured
// as a relying party would see it at that rate, not only as fast as the server answers).
// It reports requests, errors (network, timeouts, non-2xx) and latency percentiles, and exits 1
// when the error rate is above --max-error-rate. Loopback only unless --allow-remote: a load test
// aimed at somebody else's production by a typo is an attack.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const CASES = ['discovery', 'jwks', 'client_credentials', 'introspection', 'userinfo'] as const;
type Case = (typeof CASES)[number];

const HELP = `用法 / usage: npm run loadtest -- --url URL [options]
  --url URL              the issuer, e.g. http://127.0.0.1:3000
  --case NAME            ${CASES.join(' | ')} (default discovery)
  --rate N               requests per second, all connections together (default 100)
  --duration S           seconds, 1..600 (default 10)
  --connections N        concurrent connections (default 10)
  --client-id ID         for client_credentials and introspection (a confidential client)
  --client-secret S      or LOADTEST_CLIENT_SECRET in the environment
  --token T              access token for userinfo/introspection (default: one from client_credentials)
  --max-error-rate R     exit 1 above this share of failed requests (default 0.01)
  --json                 print the summary as JSON
  --allow-remote         allow a target outside loopback`;

function fail(zh: string, en: string): never {
  console.error(`loadtest: ${zh}\nloadtest: ${en}\n\n${HELP}`);
  process.exit(2);
}

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    case: { type: 'string', default: 'discovery' },
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    token: { type: 'string' },
    'max-error-rate': { type: 'string', default: '0.01' },
    json: { type: 'boolean', default: false },
    'allow-remote': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}

const num = (name: string, v: string, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} 须在 ${min} 到 ${max} 之间`, `--${name} must be between ${min} and ${max}`);
  return n;
};
if (!a.url) fail('缺少 --url', '--url is required');
let base: URL;
try {
  base = new URL(a.url);
} catch {
  fail(`--url 不是有效的网址：${a.url}`, `--url is not a valid URL: ${a.url}`);
}
if (!CASES.includes(a.case as Case)) fail(`未知的 --case：${a.case}`, `unknown --case: ${a.case}`);
const theCase = a.case as Case;
const rate = num('rate', a.rate!, 1, 100_000);
const duration = num('duration', a.duration!, 1, 600);
const connections = Math.trunc(num('connections', a.connections!, 1, 1000));
const maxErrorRate = num('max-error-rate', a['max-error-rate']!, 0, 1);
const clientId = a['client-id'];
const clientSecret = a['client-secret'] ?? process.env.LOADTEST_CLIENT_SECRET;

async function isLoopback(host: string): Promise<boolean> {
  const h = host.replace(/^\[|\]$/g, '');
  const addrs = net.isIP(h) ? [h] : (await lookup(h, { all: true }).catch(() => [])).map((x) => x.address);
  return addrs.length > 0 && addrs.every((ip) => ip === '::1' || ip.startsWith('127.') || ip === '::ffff:127.0.0.1');
}
if (!a['allow-remote'] && !(await isLoopback(base.hostname))) {
  fail(`目标 ${base.hostname} 不在本机回环地址；确认是自己的环境后加 --allow-remote`, `target ${base.hostname} is not loopback; add --allow-remote once you are sure it is your own deployment`);
}

interface Discovery {
  token_endpoint: string;
  jwks_uri: string;
  introspection_endpoint?: string;
  userinfo_endpoint?: string;
}
const discoveryUrl = new URL('.well-known/openid-configuration', base.href.endsWith('/') ? base.href : base.href + '/').href;
const discovery = await fetch(discoveryUrl)
  .then(async (r) => (r.ok ? ((await r.json()) as Discovery) : Promise.reject(new Error(`HTTP ${r.status}`))))
  .catch((e: Error) => fail(`取不到 ${discoveryUrl}：${e.message}`, `cannot read ${discoveryUrl}: ${e.message}`));

const basic = () => {
  if (!clientId || !clientSecret) fail(`--case ${theCase} 需要 --client-id 和 --client-secret`, `--case ${theCase} needs --client-id and --client-secret`);
  return 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
};
const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function accessToken(): Promise<string> {
  if (a.token) return a.token;
  const r = await fetch(discovery.token_endpoint, { method: 'POST', headers: { ...form, authorization: basic() }, body: 'grant_type=client_credentials' });
  const body = (await r.json().catch(() => ({}))) as { access_token?: string; error?: string };
  if (!body.access_token) fail(`client_credentials 取令牌失败：HTTP ${r.status} ${body.error ?? ''}`, `client_credentials failed: HTTP ${r.status} ${body.error ?? ''}`);
  return body.access_token;
}

async function request(): Promise<{ url: string; method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }> {
  switch (theCase) {
    case 'discovery':
      return { url: discoveryUrl, method: 'GET' };
    case 'jwks':
      return { url: discovery.jwks_uri, method: 'GET' };
    case 'client_credentials':
      return { url: discovery.token_endpoint, method: 'POST', headers: { ...form, authorization: basic() }, body: 'grant_type=client_credentials' };
    case 'introspection': {
      if (!discovery.introspection_endpoint) fail('该服务未开放令牌内省', 'the server offers no introspection endpoint');
      const token = await accessToken();
      return { url: discovery.introspection_endpoint, method: 'POST', headers: { ...form, authorization: basic() }, body: `token=${encodeURIComponent(token)}` };
    }
    case 'userinfo': {
      if (!discovery.userinfo_endpoint) fail('该服务未开放 userinfo', 'the server offers no userinfo endpoint');
      return { url: discovery.userinfo_endpoint, method: 'GET', headers: { authorization: `Bearer ${await accessToken()}` } };
    }
  }
}

const req = await request();
const result = await autocannon({
  url: req.url,
  method: req.method,
  headers: req.headers,
  body: req.body,
  connections,
  overallRate: rate,
  duration,
  timeout: 10,
});

const total = result.requests.total;
const failed = result.errors + result.timeouts + result.non2xx;
const summary = {
  case: theCase,
  url: req.url,
  rate_requested: rate,
  rate_achieved: Math.round((total / result.duration) * 10) / 10,
  seconds: result.duration,
  requests: total,
  ok_2xx: result['2xx'],
  non_2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  error_rate: total ? failed / total : 1,
  latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
};

if (a.json) console.log(JSON.stringify(summary));
else {
  console.log(`case ${summary.case}: ${summary.requests} requests in ${summary.seconds} s (${summary.rate_achieved}/s of ${rate}/s asked)`);
  console.log(`  2xx ${summary.ok_2xx} · non-2xx ${summary.non_2xx} · errors ${summary.errors} · timeouts ${summary.timeouts} · error rate ${(summary.error_rate * 100).toFixed(2)} %`);
  console.log(`  latency ms: p50 ${summary.latency_ms.p50} · p90 ${summary.latency_ms.p90} · p99 ${summary.latency_ms.p99} · max ${summary.latency_ms.max}`);
}
if (summary.error_rate > maxErrorRate) {
  console.error(`loadtest: 失败比例 ${(summary.error_rate * 100).toFixed(2)} % 超过 ${(maxErrorRate * 100).toFixed(2)} %`);
  console.error(`loadtest: error rate ${(summary.error_rate * 100).toFixed(2)} % is above ${(maxErrorRate * 100).toFixed(2)} %`);
  process.exit(1);
}
