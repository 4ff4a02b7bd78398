// Every migration, in order. Migrations are frozen in time: add a new file, never edit an applied one.
import type { Migration } from 'kysely';
import * as m0001 from './0001_core.ts';
import * as m0002 from './0002_orgs.ts';
import * as m0003 from './0003_legacy.ts';
import * as m0004 from './0004_logout.ts';
import * as m0005 from './0005_codes.ts';
import * as m0006 from './0006_realname.ts';

export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_orgs': m0002,
  '0003_legacy': m0003,
  '0004_logout': m0004,
  '0005_codes': m0005,
  '0006_realname': m0006,
};
