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
  cliUser: string;
  masterKey: string | undefined;
  production: boolean;
  logLevel: string;
  /** trust X-Forwarded-* from a reverse proxy */
  trustProxy: boolean;
  throttle: ThrottleConfig;
  /** idle session timeout, seconds (MLPS: idle sessions end) */
  sessionIdleSeconds: number;
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
    hashConcurrency: int(env, 'HASH_CONCURRENCY', 0),
    // who runs a command, for the audit trail (`cli:USER`)
    cliUser: env.SUDO_USER || env.USER || 'admin',
  };
}
