// Every admin operation, in the order the OpenAPI document lists them.
import type { Operation } from '../op.ts';
import { personOps } from './persons.ts';
import { clientOps } from './clients.ts';
import { directoryOps } from './directory.ts';
import { importOps } from './imports.ts';
import { auditOps } from './audit.ts';

export const OPERATIONS: Operation[] = [...personOps, ...clientOps, ...directoryOps, ...importOps, ...auditOps];

export const operation = (id: string): Operation => {
  const found = OPERATIONS.find((o) => o.id === id);
  if (!found) throw new Error(`no admin operation ${id}`);
  return found;
};
