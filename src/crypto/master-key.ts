// Where the master key comes from: the environment, or (outside production) a file generated once
// into DATA_DIR with a warning.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/env.ts';
import { generateMasterKey, Keyring, parseMasterKey } from './keyring.ts';
import { logger } from '../log.ts';

export function loadKeyring(config: Pick<Config, 'masterKey' | 'newMasterKey' | 'cryptoSuite' | 'dataDir' | 'production'>): Keyring {
  const opts = { suite: config.cryptoSuite, newMaster: config.newMasterKey ? parseMasterKey(config.newMasterKey) : undefined };
  if (config.masterKey) return new Keyring(parseMasterKey(config.masterKey), opts);
  if (config.production) throw new Error('YITONG_MASTER_KEY is required when NODE_ENV=production');
  const file = path.join(config.dataDir, 'master.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, generateMasterKey() + '\n', { flag: 'wx', mode: 0o600 });
    logger.warn({ file }, '已生成主密钥文件；生产环境请设置 YITONG_MASTER_KEY。Generated a master key file; set YITONG_MASTER_KEY in production.');
  }
  return new Keyring(parseMasterKey(fs.readFileSync(file, 'utf8')), opts);
}
