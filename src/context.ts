// What handlers and commands are given: configuration, database and the services built on it.
import type { Kysely } from 'kysely';
import type { Config } from './config/env.ts';
import type { Database } from './db/schema.ts';
import type { Keyring } from './crypto/keyring.ts';
import type { AuditLog } from './audit/service.ts';

export interface AppContext {
  config: Config;
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
}
