// Every admin operation, in the order the OpenAPI document lists them.
import type { Operation } from '../op.ts';
import { personOps } from './persons.ts';
import { clientOps } from './clients.ts';
import { directoryOps } from './directory.ts';
import { importOps } from './imports.ts';
import { auditOps } from './audit.ts';
import { importJobOps } from './import-jobs.ts';
import { personSecurityOps } from './person-security.ts';
import { adminRoleOps } from './admin-roles.ts';

export const OPERATIONS: Operation[] = [...personOps, ...personSecurityOps, ...clientOps, ...directoryOps, ...importOps, ...importJobOps, ...adminRoleOps, ...auditOps];

export const operation = (id: string): Operation => {
  const found = OPERATIONS.find((o) => o.id === id);
  if (!found) throw new Error(`no admin operation ${id}`);
  return found;
};
