// Configuration of citizens' self-service (SMS gateway, one-time code limits, real-name check,
// registration throttling). Called by loadConfig with the environment it was given: env.ts stays
// the only reader of process.env.
import { ConfigError } from './env.ts';

export type SmsProviderName = 'log' | 'aliyun' | 'tencent' | 'none';

export interface SmsConfig {
  /** `none`: no sender (production without SMS_PROVIDER): SMS forms say the service is off */
  provider: SmsProviderName;
  /** the gateway's base URL, overriding the provider's public one */
  endpoint: string | undefined;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
  /** Tencent's SmsSdkAppId (the SMS application), unused by Aliyun */
  appId: string;
  /** the gateway region (Aliyun RegionId, Tencent X-TC-Region) */
  region: string | undefined;
  /** one attempt's timeout */
  timeoutMs: number;
}

export interface CodeLimits {
  /** sends to one phone per 24 h */
  phoneDaily: number;
  /** sends from one client address per 24 h */
  ipDaily: number;
  /** distinct phones one client address may send to per 24 h (SMS pumping: many numbers, one IP) */
  ipPhonesDaily: number;
  /** distinct client addresses that may send to one phone per 24 h (one number, many IPs) */
  phoneIpsDaily: number;
}

export interface IdvConfig {
  /** unset: no real-name check; registrations start at level 1 */
  url: string | undefined;
  token: string | undefined;
  timeoutMs: number;
  /** further attempts after a timeout, connection error or 5xx (within one check) */
  retries: number;
  /** how often each node looks for registrations to check again */
  recheckEveryMs: number;
}

export interface CitizenConfig {
  sms: SmsConfig;
  codeLimits: CodeLimits;
  idv: IdvConfig;
  /** final registration submissions from one client address per hour */
  registerIpHourly: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

export function loadCitizenConfig(env: NodeJS.ProcessEnv, production: boolean): CitizenConfig {
  const raw = (env.SMS_PROVIDER ?? '').trim().toLowerCase();
  if (raw && !['log', 'aliyun', 'tencent'].includes(raw)) throw new ConfigError(`SMS_PROVIDER must be log, aliyun or tencent, got "${env.SMS_PROVIDER}"`);
  // The log sender writes codes to the log: never in production. Unset there, SMS is off.
  if (raw === 'log' && production) throw new ConfigError('SMS_PROVIDER=log is refused when NODE_ENV=production (it writes codes to the log); use aliyun or tencent');
  const provider: SmsProviderName = (raw || (production ? 'none' : 'log')) as SmsProviderName;
  const sms: SmsConfig = {
    provider,
    endpoint: url(env, 'SMS_ENDPOINT'),
    accessKeyId: env.SMS_ACCESS_KEY_ID ?? '',
    accessKeySecret: env.SMS_ACCESS_KEY_SECRET ?? '',
    signName: env.SMS_SIGN_NAME ?? '',
    templateCode: env.SMS_TEMPLATE_CODE ?? '',
    appId: env.SMS_APP_ID ?? '',
    region: env.SMS_REGION || undefined,
    timeoutMs: int(env, 'SMS_TIMEOUT_MS', 5000, 100),
  };
  if (provider === 'aliyun' || provider === 'tencent') {
    const missing = (
      [
        ['SMS_ACCESS_KEY_ID', sms.accessKeyId],
        ['SMS_ACCESS_KEY_SECRET', sms.accessKeySecret],
        ['SMS_SIGN_NAME', sms.signName],
        ['SMS_TEMPLATE_CODE', sms.templateCode],
        ...(provider === 'tencent' ? [['SMS_APP_ID', sms.appId]] : []),
      ] as const
    )
      .filter(([, v]) => !v)
      .map(([k]) => k);
    if (missing.length) throw new ConfigError(`SMS_PROVIDER=${provider} needs ${missing.join(', ')}`);
  }
  const idvUrl = url(env, 'IDV_URL');
  if (idvUrl && production && !idvUrl.startsWith('https:') && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(idvUrl + '/')) {
    throw new ConfigError('IDV_URL must use https when NODE_ENV=production (it carries names and ID numbers)');
  }
  return {
    sms,
    codeLimits: {
      phoneDaily: int(env, 'SMS_PHONE_DAILY_LIMIT', 10, 1),
      ipDaily: int(env, 'SMS_IP_DAILY_LIMIT', 30, 1),
      ipPhonesDaily: int(env, 'SMS_IP_PHONES_DAILY_LIMIT', 10, 1),
      phoneIpsDaily: int(env, 'SMS_PHONE_IPS_DAILY_LIMIT', 5, 1),
    },
    idv: {
      url: idvUrl,
      token: env.IDV_TOKEN || undefined,
      timeoutMs: int(env, 'IDV_TIMEOUT_MS', 2000, 100),
      retries: int(env, 'IDV_RETRIES', 1),
      recheckEveryMs: int(env, 'IDV_RECHECK_SECONDS', 60, 1) * 1000,
    },
    registerIpHourly: int(env, 'REGISTER_IP_HOURLY_LIMIT', 20, 1),
  };
}
