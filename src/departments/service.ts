import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { departmentStore, type DepartmentRow } from './store.ts';

export const DEPARTMENT_CODE = /^[A-Za-z0-9_-]{1,32}$/;

export async function addDepartment(ctx: AppContext, code: string, name: string, actor: string): Promise<DepartmentRow> {
  if (!DEPARTMENT_CODE.test(code ?? '')) throw new AppError('department.code_invalid');
  const clean = name?.normalize('NFKC').trim();
  if (!clean || clean.length > 128) throw new AppError('name.invalid');
  return ctx.db.transaction().execute(async (trx) => {
    const row = await departmentStore.insert(trx, code, clean);
    if (!row) throw new AppError('department.exists', 'conflict');
    await ctx.audit.append({ event: 'department.create', outcome: 'success', actor, detail: { code, name: clean } }, trx);
    return row;
  });
}

export async function requireDepartment(ctx: AppContext, code: string): Promise<DepartmentRow> {
  const row = await departmentStore.byCode(ctx.db, code);
  if (!row) throw new AppError('department.unknown', 'not_found', code);
  return row;
}
