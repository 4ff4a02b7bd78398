// A second process appending to the audit trail (test/integration/audit-two-processes.test.ts):
// node test/helpers/audit-appender.ts DATABASE_URL NAME COUNT. Half the records are group-committed,
// half written inside their own transaction, four at a time; prints "done" when every one committed.
import { openDatabase } from '../../src/db/connect.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { TEST_MASTER_KEY } from './db.ts';

const [databaseUrl, name, count] = process.argv.slice(2);
const handle = await openDatabase({ databaseUrl, dataDir: '/nonexistent' }, { poolSize: 4 });
const audit = new AuditLog(handle.db, new Keyring(parseMasterKey(TEST_MASTER_KEY)));
// four request handlers at a time, like a busy node (more would wait for the pool)
let next = 0;
const worker = async () => {
  for (let i = next++; i < Number(count); i = next++) {
    const e = { event: 'login.success', outcome: 'success', actor: `${name}-${i}` } as const;
    await (i % 2 ? audit.append(e) : handle.db.transaction().execute((trx) => audit.append(e, trx)));
  }
};
await Promise.all([worker(), worker(), worker(), worker()]);
await audit.drain();
await audit.release();
await handle.close();
process.stdout.write('done\n');
