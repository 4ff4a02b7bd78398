// The database as kysely sees it: each domain declares its own tables.
import type { AccountsTables } from '../accounts/tables.ts';
import type { DepartmentsTables } from '../departments/tables.ts';
import type { ClientsTables } from '../clients/tables.ts';
import type { OidcTables } from '../oidc/tables.ts';
import type { AuditTables } from '../audit/tables.ts';
import type { InteractionsTables } from '../interactions/tables.ts';
import type { OrgsTables } from '../orgs/tables.ts';
import type { LegacyTables } from '../legacy/tables.ts';
import type { LogoutTables } from '../logout/tables.ts';
import type { AccountTables } from '../account/tables.ts';
import type { AdminTables } from '../admin/tables.ts';
import type { CodesTables } from '../codes/tables.ts';
import type { RealNameTables } from '../realname/tables.ts';
import type { IdvTables } from '../idv/tables.ts';

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database
  extends AccountsTables, DepartmentsTables, ClientsTables, OidcTables, AuditTables, InteractionsTables, OrgsTables, LegacyTables, LogoutTables, AccountTables, AdminTables, CodesTables, RealNameTables, IdvTables {
  meta: MetaTable;
}
