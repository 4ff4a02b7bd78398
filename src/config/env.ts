// The only place that reads process.env. Everything else receives a Config.
import path from 'node:path';
import { loadCitizenConfig, type CitizenConfig } from './citizen.ts';
import { loadAuditConfig, type AuditConfig } from './audit.ts';
import { CRYPTO_SUITES, type CryptoSuite } from '../crypto/suites.ts';

export interface ThrottleConfig {
  /** failures per account before progressive delay starts */
  accountDelayAfter: number;
  /** failures per account before a temporary lockout */
  accountLockAfter: number;
  /** failures per IP before lockout of that IP */
  ipLockAfter: number;
  /** lockout and counting window, seconds */
  lockSeconds: number;
  windowSeconds: number;
  /** cap on the progressive delay, ms */
  maxDelayMs: number;
}

/** What every page's footer shows (all optional; MIIT rules want the ICP number on every page). */
export interface FooterConfig {
  /** who runs the service, e.g. 某某市政务服务和数据管理局 */
  operator: string | null;
  /** ICP record number (备案号), linked to the MIIT record lookup */
  icp: string | null;
  /** service hotline, e.g. 12345 */
  hotline: string | null;
  /** the privacy notice (个人信息保护政策): an absolute http(s) URL or a path on this site */
  privacyUrl: string | null;
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (smtps, port 465); otherwise STARTTLS when the server offers it */
  secure: boolean;
  user: string | undefined;
  pass: string | undefined;
  /** the From address, e.g. `一通 <noreply@example.gov.cn>` */
  from: string;
}

export interface AccountConfig {
  /** days between a cancellation request (注销) and the erasure of the account's personal data */
  cancelCoolingOffDays: number;
  /** how often each node looks for cancellations whose cooling-off period is over, seconds */
  erasureEverySeconds: number;
  /** e-mail verification codes: lifetime, seconds */
  emailCodeSeconds: number;
}

/** Administration (src/admin): the console's and the admin API's sign-in strength, and 三员分立. */
export interface AdminConfig {
  /** the weakest acr a person's admin token may carry (ADMIN_MIN_ACR) */
  minAcr: string;
  /** pairs of roles one holder may not combine (ADMIN_ROLE_EXCLUSIONS, default system+audit) */
  roleExclusions: [string, string][];
  /** the largest import file the admin API and console accept (ADMIN_UPLOAD_MAX_MB) */
  uploadMaxBytes: number;
}

/** acr values, weakest first (DESIGN.md, "Assurance"). */
export const ACR_VALUES = ['urn:yitong:acr:pwd', 'urn:yitong:acr:mfa', 'urn:yitong:acr:phr'] as const;
const ADMIN_ROLES = ['system', 'security', 'audit', 'department'];

function adminConfig(env: NodeJS.ProcessEnv): AdminConfig {
  const minAcr = env.ADMIN_MIN_ACR?.trim() || 'urn:yitong:acr:mfa';
  if (!(ACR_VALUES as readonly string[]).includes(minAcr)) throw new ConfigError(`ADMIN_MIN_ACR must be one of ${ACR_VALUES.join(', ')}, got "${minAcr}"`);
  const raw = env.ADMIN_ROLE_EXCLUSIONS?.trim() ?? 'system+audit';
  const roleExclusions: [string, string][] = [];
  if (raw && raw !== 'none') {
    for (const pair of raw.split(',')) {
      const [a, b, ...rest] = pair.trim().split('+');
      if (rest.length || !ADMIN_ROLES.includes(a) || !ADMIN_ROLES.includes(b) || a === b) {
        throw new ConfigError(`ADMIN_ROLE_EXCLUSIONS is a comma-separated list of role pairs such as system+audit,security+audit (or none), got "${raw}"`);
      }
      roleExclusions.push([a, b]);
    }
  }
  const mb = env.ADMIN_UPLOAD_MAX_MB?.trim() || '100';
  if (!/^\d+(\.\d+)?$/.test(mb) || Number(mb) <= 0 || Number(mb) > 4096) throw new ConfigError(`ADMIN_UPLOAD_MAX_MB must be a number of MiB between 0 and 4096, got "${mb}"`);
  return { minAcr, roleExclusions, uploadMaxBytes: Math.floor(Number(mb) * 1024 * 1024) };
}

/** How long an elevated assurance level counts in a session (step-up asks again after that). */
export interface AssuranceConfig {
  /** seconds a second factor (acr mfa) counts; null: as long as the session */
  mfaMaxAgeSeconds: number | null;
  /** seconds a passkey with user verification (acr phr) counts; null: as long as the session */
  phrMaxAgeSeconds: number | null;
}

/** `CitizenConfig`: SMS, one-time codes, real-name check, registration (src/config/citizen.ts). */
export interface Config extends CitizenConfig {
  port: number;
  issuer: string;
  databaseUrl: string | undefined;
  /** DATABASE_PREPARED_STATEMENTS: name recurring statements on PostgreSQL (off behind a pooler that drops them) */
  databasePrepared: boolean;
  dataDir: string;
  cliUser: string;
  masterKey: string | undefined;
  /** YITONG_NEW_MASTER_KEY: set only while rotating the master key (see `yitong crypto reseal`) */
  newMasterKey: string | undefined;
  /** CRYPTO_SUITE: intl (AES-256-GCM, HMAC-SHA256) or gm (SM4-CBC + HMAC-SM3, SM3) */
  cryptoSuite: CryptoSuite;
  production: boolean;
  logLevel: string;
  /**
   * Reverse proxies in front of Yitong (TRUST_PROXY). 0: X-Forwarded-* are ignored. N: X-Forwarded-
   * Host/Proto are trusted and the client address is the N-th X-Forwarded-For entry from the right,
   * the one the outermost trusted proxy appended; entries a client prepends are never read.
   */
  trustProxyHops: number;
  throttle: ThrottleConfig;
  /** idle session timeout, seconds (MLPS: idle sessions end) */
  sessionIdleSeconds: number;
  /** absolute session lifetime, whatever the activity */
  sessionMaxSeconds: number;
  logout: { retryBaseMs: number; retryHours: number; pollMs: number; leaseSeconds: number; sessionSweep: boolean };
  /** outgoing e-mail (verification codes); null: no SMTP server configured */
  smtp: SmtpConfig | null;
  account: AccountConfig;
  assurance: AssuranceConfig;
  /** hashing concurrency cap (argon2 runs on the libuv pool) */
  hashConcurrency: number;
  footer: FooterConfig;
  admin: AdminConfig;
  /**
   * On SIGTERM, how long to keep serving (every answer closing its connection, /readyz 503) before
   * the listener closes, so the load balancer can stop sending first.
   */
  shutdownGraceSeconds: number;
  /** audit checkpoints and retention (src/config/audit.ts) */
  audit: AuditConfig;
}

/** SMTP_URL (smtp:// or smtps://user:pass@host:port) or SMTP_HOST/SMTP_PORT/SMTP_USER/SMTP_PASS; SMTP_FROM. */
function smtpConfig(env: NodeJS.ProcessEnv): SmtpConfig | null {
  const from = env.SMTP_FROM || undefined;
  if (env.SMTP_URL) {
    let u: URL;
    try {
      u = new URL(env.SMTP_URL);
    } catch {
      throw new ConfigError('SMTP_URL must be a URL such as smtp://user:pass@mail.example.gov.cn:587');
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, got "${u.protocol}"`);
    const secure = u.protocol === 'smtps:';
    const user = u.username ? decodeURIComponent(u.username) : undefined;
    return {
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      user,
      pass: u.password ? decodeURIComponent(u.password) : undefined,
      from: from ?? `noreply@${u.hostname}`,
    };
  }
  if (!env.SMTP_HOST) return null;
  const port = int(env, 'SMTP_PORT', 587);
  return {
    host: env.SMTP_HOST,
    port,
    secure: env.SMTP_SECURE ? env.SMTP_SECURE === 'true' || env.SMTP_SECURE === '1' : port === 465,
    user: env.SMTP_USER || undefined,
    pass: env.SMTP_PASS || undefined,
    from: from ?? `noreply@${env.SMTP_HOST}`,
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export class ConfigError extends Error {}

function text(env: NodeJS.ProcessEnv, name: string, max = 200): string | null {
  const v = env[name]?.trim();
  if (!v) return null;
  if (v.length > max) throw new ConfigError(`${name} must be at most ${max} characters`);
  return v;
}

function footer(env: NodeJS.ProcessEnv): FooterConfig {
  const privacyUrl = text(env, 'FOOTER_PRIVACY_URL', 2000);
  if (privacyUrl && !(privacyUrl.startsWith('/') && !privacyUrl.startsWith('//'))) {
    let ok = false;
    try {
      ok = ['https:', 'http:'].includes(new URL(privacyUrl).protocol);
    } catch {}
    if (!ok) throw new ConfigError(`FOOTER_PRIVACY_URL must be an http(s) URL or a path starting with /, got "${privacyUrl}"`);
  }
  const hotline = text(env, 'FOOTER_HOTLINE', 40);
  if (hotline && !/^[0-9+()\- ]+$/.test(hotline)) throw new ConfigError(`FOOTER_HOTLINE holds digits, spaces, +, - and parentheses only, got "${hotline}"`);
  return { operator: text(env, 'FOOTER_OPERATOR'), icp: text(env, 'FOOTER_ICP', 100), hotline, privacyUrl };
}

const MAX_PROXY_HOPS = 10;

/** A hop count; `true`/`false` are accepted for compatibility with the boolean this used to be. */
function proxyHops(env: NodeJS.ProcessEnv): number {
  const raw = (env.TRUST_PROXY ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false') return 0;
  if (raw === 'true') return 1;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_PROXY_HOPS) {
    throw new ConfigError(`TRUST_PROXY must be the number of trusted proxy hops (0 to ${MAX_PROXY_HOPS}), got "${env.TRUST_PROXY}"`);
  }
  return Number(raw);
}

/** Seconds, fractions allowed; at most a few minutes (a supervisor kills a process that takes longer). */
function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new ConfigError(`${name} must be a number of seconds from 0 to ${max}, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 3000);
  const production = env.NODE_ENV === 'production';
  const issuer = (env.ISSUER || `http://localhost:${port}`).replace(/\/$/, '');
  try {
    new URL(issuer);
  } catch {
    throw new ConfigError(`ISSUER must be an absolute URL, got "${issuer}"`);
  }
  const masterKey = env.YITONG_MASTER_KEY || undefined;
  if (production && !masterKey) throw new ConfigError('YITONG_MASTER_KEY is required when NODE_ENV=production');
  const cryptoSuite = (env.CRYPTO_SUITE?.trim() || 'intl') as CryptoSuite;
  if (!CRYPTO_SUITES.includes(cryptoSuite)) {
    throw new ConfigError(`CRYPTO_SUITE 只能是 intl 或 gm。CRYPTO_SUITE must be intl or gm, got "${env.CRYPTO_SUITE}"`);
  }
  return {
    port,
    issuer,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePrepared: env.DATABASE_PREPARED_STATEMENTS !== 'off',
    dataDir: path.resolve(env.DATA_DIR || './data'),
    masterKey,
    newMasterKey: env.YITONG_NEW_MASTER_KEY || undefined,
    cryptoSuite,
    production,
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    trustProxyHops: proxyHops(env),
    throttle: {
      accountDelayAfter: int(env, 'LOGIN_DELAY_AFTER', 3),
      accountLockAfter: int(env, 'LOGIN_LOCK_AFTER', 5),
      ipLockAfter: int(env, 'LOGIN_IP_LOCK_AFTER', 50),
      lockSeconds: int(env, 'LOGIN_LOCK_SECONDS', 900),
      windowSeconds: int(env, 'LOGIN_WINDOW_SECONDS', 900),
      maxDelayMs: int(env, 'LOGIN_MAX_DELAY_MS', 4000),
    },
    sessionIdleSeconds: int(env, 'SESSION_IDLE_SECONDS', 1800),
    sessionMaxSeconds: int(env, 'SESSION_MAX_SECONDS', 12 * 3600),
    logout: {
      retryBaseMs: int(env, 'LOGOUT_RETRY_BASE_MS', 2000),
      retryHours: int(env, 'LOGOUT_RETRY_HOURS', 24),
      pollMs: int(env, 'LOGOUT_POLL_MS', 500),
      // a node that claimed a delivery and died gives it up after this; above the 2.5 s HTTP timeout
      leaseSeconds: Math.max(5, int(env, 'LOGOUT_LEASE_SECONDS', 30)),
      // ended sessions are told to their apps; `off` leaves expired sessions to the purge, silently
      sessionSweep: env.SESSION_EXPIRY_LOGOUT !== 'off',
    },
    hashConcurrency: int(env, 'HASH_CONCURRENCY', 0),
    smtp: smtpConfig(env),
    account: {
      cancelCoolingOffDays: int(env, 'ACCOUNT_CANCEL_COOLING_OFF_DAYS', 15),
      erasureEverySeconds: Math.max(1, int(env, 'ACCOUNT_ERASURE_EVERY_SECONDS', 600)),
      emailCodeSeconds: Math.max(60, int(env, 'EMAIL_CODE_SECONDS', 600)),
    },
    assurance: {
      mfaMaxAgeSeconds: int(env, 'ACR_MFA_MAX_AGE_SECONDS', 4 * 3600) || null,
      phrMaxAgeSeconds: int(env, 'ACR_PHR_MAX_AGE_SECONDS', 4 * 3600) || null,
    },
    // who runs a command, for the audit trail (`cli:USER`)
    cliUser: env.SUDO_USER || env.USER || 'admin',
    footer: footer(env),
    admin: adminConfig(env),
    // tests stop servers all the time and nothing balances load onto them
    shutdownGraceSeconds: seconds(env, 'SHUTDOWN_GRACE_SECONDS', env.NODE_ENV === 'test' ? 0 : 5, 300),
    audit: loadAuditConfig(env),
    ...loadCitizenConfig(env, production),
  };
}
