// Test data made through the real services.
import { addDepartment } from '../../src/departments/service.ts';
import { addClient, type NewClient } from '../../src/clients/service.ts';
import { createPerson, type NewPerson } from '../../src/accounts/service.ts';
import type { TestServer } from './server.ts';

export const PASSWORD = 'Yitong@2026';
export const ID_A = '11010519491231002X';
export const ID_B = '440524188001010014';

export async function department(s: TestServer, code = 'GA', name = '公安局') {
  return addDepartment(s.app, code, name, 'test');
}

export async function client(s: TestServer, input: Partial<NewClient> & { redirectUris: string[] }) {
  return addClient(s.app, { name: '测试应用', ...input }, 'test', s.clientRules());
}

export async function person(s: TestServer, input: Partial<NewPerson> = {}) {
  return createPerson(s.app, { idNumber: ID_A, name: '张三', phone: '13800138000', email: 'zhang@example.cn', password: PASSWORD, ...input }, 'test');
}
