// The only place that reads process.env. Everything else receives a Config.
import path from 'node:path';
import { loadCitizenConfig, type CitizenConfig } from './citizen.ts';

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

/** `CitizenConfig`: SMS, one-time codes, real-name check, registration (src/config/citizen.ts). */
export interface Config extends CitizenConfig {
  port: number;
  issuer: string;
  databaseUrl: string | undefined;
  dataDir: string;
  cliUser: string;
  masterKey: string | undefined;
  production: boolean;
  logLevel: string;
  /** trust X-Forwarded-* from a reverse proxy */
  trustProxy: boolean;
  throttle: ThrottleConfig;
  /** idle session timeout, seconds (MLPS: idle sessions end) */
  sessionIdleSeconds: number;
  /** absolute session lifetime, whatever the activity */
  sessionMaxSeconds: number;
  logout: { retryBaseMs: number; retryHours: number; pollMs: number; leaseSeconds: number; sessionSweep: boolean };
  /** hashing concurrency cap (argon2 runs on the libuv pool) */
  hashConcurrency: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export class ConfigError extends Error {}

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
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
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
    // who runs a command, for the audit trail (`cli:USER`)
    cliUser: env.SUDO_USER || env.USER || 'admin',
    ...loadCitizenConfig(env, production),
  };
}
