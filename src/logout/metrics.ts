// Outbox metrics: depth, age of the oldest pending row, and delivery attempts by outcome.
import client from 'prom-client';
import { registry } from '../http/metrics.ts';

export const outboxAttempts = new client.Counter({
  name: 'yitong_logout_delivery_attempts_total',
  help: 'Back-channel logout delivery attempts by outcome (delivered, retry, failed)',
  labelNames: ['outcome'],
  registers: [registry],
});

export const outboxDepth = new client.Gauge({
  name: 'yitong_logout_outbox_pending',
  help: 'Back-channel logouts waiting for delivery',
  registers: [registry],
});

export const outboxOldest = new client.Gauge({
  name: 'yitong_logout_outbox_oldest_pending_seconds',
  help: 'Age of the oldest back-channel logout waiting for delivery',
  registers: [registry],
});
