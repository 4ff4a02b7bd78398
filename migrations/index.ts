// Every migration, in order. Migrations are frozen in time: add a new file, never edit an applied one.
import type { Migration } from 'kysely';
import * as m0001 from './0001_core.ts';
import * as m0002 from './0002_orgs.ts';
import * as m0003 from './0003_legacy.ts';
import * as m0004 from './0004_logout.ts';
import * as m0005 from './0005_account.ts';
import * as m0006 from './0006_org_relinquish.ts';
import * as m0007 from './0007_codes.ts';
import * as m0008 from './0008_admin.ts';
import * as m0009 from './0009_realname.ts';
import * as m0010 from './0010_mfa.ts';
import * as m0011 from './0011_legacy_status.ts';
import * as m0012 from './0012_conflict_swap.ts';
import * as m0013 from './0013_mfa_sms.ts';
import * as m0014 from './0014_import_rows_total.ts';
import * as m0015 from './0015_audit_partitions.ts';
import * as m0016 from './0016_audit_actor_index.ts';
import * as m0017 from './0017_audit_chains.ts';

export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_orgs': m0002,
  '0003_legacy': m0003,
  '0004_logout': m0004,
  '0005_account': m0005,
  '0006_org_relinquish': m0006,
  '0007_codes': m0007,
  '0008_admin': m0008,
  '0009_realname': m0009,
  '0010_mfa': m0010,
  '0011_legacy_status': m0011,
  '0012_conflict_swap': m0012,
  '0013_mfa_sms': m0013,
  '0014_import_rows_total': m0014,
  '0015_audit_partitions': m0015,
  '0016_audit_actor_index': m0016,
  '0017_audit_chains': m0017,
};
