// Where a session was made from, for the "登录设备" page: the browser and system named from the
// User-Agent, and the network from the client address with its host part masked (the full address
// stays in the audit log only). Recorded at every authorization a session answers, through
// oidc-provider's public `authorization.success` event, keyed by the session's stable uid.
import net from 'node:net';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { logger } from '../log.ts';
import { deviceStore } from './store.ts';

export interface Device {
  browser: string | null;
  os: string | null;
}

const BROWSERS: [RegExp, string][] = [
  [/MicroMessenger\//, 'WeChat'],
  [/AlipayClient\//, 'Alipay'],
  [/DingTalk\//, 'DingTalk'],
  [/EdgA?\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/QQBrowser\//, 'QQ Browser'],
  [/UCBrowser\//, 'UC Browser'],
  [/Firefox\//, 'Firefox'],
  [/(?:Headless)?Chrome\/|CriOS\//, 'Chrome'],
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/HarmonyOS|OpenHarmony/, 'HarmonyOS'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Windows NT/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

export function parseUserAgent(ua: string): Device {
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1] ?? null;
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? null;
  return { browser, os };
}

const PRIVATE_V4 = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^169\.254\./];

/** 203.0.113.7 -> 203.0.113.*, 2001:db8:1:2::7 -> 2001:db8:1:*; with a hint for private and loopback networks. */
export function maskNetwork(ip: string | null | undefined): { masked: string; kind: 'loopback' | 'private' | 'public' } | null {
  if (!ip) return null;
  let v = ip.trim();
  if (v.startsWith('::ffff:') && net.isIPv4(v.slice(7))) v = v.slice(7);
  if (net.isIPv4(v)) {
    const kind = v.startsWith('127.') ? 'loopback' : PRIVATE_V4.some((re) => re.test(v)) ? 'private' : 'public';
    return { masked: `${v.split('.').slice(0, 3).join('.')}.*`, kind };
  }
  if (net.isIPv6(v)) {
    const lower = v.toLowerCase();
    const kind = lower === '::1' ? 'loopback' : /^f[cd]/.test(lower) || lower.startsWith('fe80') ? 'private' : 'public';
    const groups = lower.split('::')[0].split(':').filter(Boolean).slice(0, 3);
    return { masked: `${groups.join(':') || ':'}:*`, kind };
  }
  return null;
}

/** Subscribes to the provider: every authorization a session answers refreshes its device row. */
export function recordDevices(app: AppContext, provider: Provider): void {
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc?.session;
    if (!session?.accountId || !session.uid) return;
    const network = maskNetwork(ctx.ip);
    deviceStore
      .seen(app.db, {
        session_uid: session.uid,
        account_id: session.accountId,
        user_agent: (ctx.get('user-agent') || '').slice(0, 256),
        network: network ? `${network.kind} ${network.masked}` : null,
      })
      .catch((err: Error) => logger.warn({ err: err.message }, 'session device not recorded'));
  });
}
