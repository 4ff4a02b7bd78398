// The only place that reads process.env. Everything else receives a Config.
import path from 'node:path';

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

export interface Config {
  port: number;
  issuer: string;
  databaseUrl: string | undefined;
  dataDir: string;
  masterKey: string | undefined;
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
  /** hashing concurrency cap (argon2 runs on the libuv pool) */
  hashConcurrency: number;
  /**
   * On SIGTERM, how long to keep serving (every answer closing its connection, /readyz 503) before
   * the listener closes, so the load balancer can stop sending first.
   */
  shutdownGraceSeconds: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export class ConfigError extends Error {}

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
  return {
    port,
    issuer,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || './data'),
    masterKey,
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
    hashConcurrency: int(env, 'HASH_CONCURRENCY', 0),
    // tests stop servers all the time and nothing balances load onto them
    shutdownGraceSeconds: seconds(env, 'SHUTDOWN_GRACE_SECONDS', env.NODE_ENV === 'test' ? 0 : 5, 300),
  };
}
