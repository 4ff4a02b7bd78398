// Prometheus metrics, served at /metrics.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'yitong_http_request_duration_seconds',
  help: 'HTTP request duration by route group and status class',
  labelNames: ['route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const loginMetric = new client.Counter({
  name: 'yitong_logins_total',
  help: 'Password login attempts by outcome',
  labelNames: ['outcome'],
  registers: [registry],
});

export const tokenMetric = new client.Counter({
  name: 'yitong_token_requests_total',
  help: 'Token endpoint requests by grant type and outcome',
  labelNames: ['grant_type', 'outcome'],
  registers: [registry],
});

/** A low-cardinality label for a path: the first segment only. */
export function routeGroup(path: string): string {
  const seg = path.split('/')[1] ?? '';
  return seg.startsWith('.well-known') ? '.well-known' : seg || 'root';
}
