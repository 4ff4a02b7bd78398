// SMS code metrics: sends by provider, purpose and outcome; refusals by limit.
import client from 'prom-client';
import { registry } from '../http/metrics.ts';

export const smsSends = new client.Counter({
  name: 'yitong_sms_sends_total',
  help: 'SMS code sends by provider, purpose and outcome (sent, recipient, rate, gateway, nobody)',
  labelNames: ['provider', 'purpose', 'outcome'],
  registers: [registry],
});
export const smsLimited = new client.Counter({
  name: 'yitong_sms_limited_total',
  help: 'SMS code sends refused by a limit (resend, phone_daily, ip_daily, ip_phones, phone_ips)',
  labelNames: ['limit'],
  registers: [registry],
});
