// `yitong department ...`.
import { withApp, type Command } from '../cli/commands.ts';
import { one } from '../cli/io.ts';
import { addDepartment } from './service.ts';

export const departmentsCommands: Record<string, Command> = {
  'department add': {

    summary: { 'zh-CN': '登记部门（委办局）', en: 'register a department' },
    usage: 'yitong department add --code CODE --name NAME',
    options: { code: { type: 'string' }, name: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const d = await addDepartment(app, one(v, 'code')!, one(v, 'name')!, env.actor);
        return { json: { code: d.code, name: d.name }, text: `department ${d.code} (${d.name}) added` };
      }),
  },
};
