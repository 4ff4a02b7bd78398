// Starts a real Yitong server on a free loopback port, on a fresh database.
import net from 'node:net';
import { loadConfig, type Config } from '../../src/config/env.ts';
import { ALL_FEATURES, startServer, type RunningServer } from '../../src/server.ts';
import type { FeatureFactory } from '../../src/feature.ts';
import { createTestDatabase, TEST_CRYPTO_ENV, TEST_MASTER_KEY } from './db.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer extends RunningServer {
  issuer: string;
  config: Config;
  close(): Promise<void>;
}

/** A server on a fresh database; `features` defaults to every feature `yitong serve` runs. */
export async function startTestServer(env: Record<string, string> = {}, features: FeatureFactory[] = ALL_FEATURES): Promise<TestServer> {
  const target = await createTestDatabase();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: issuer,
    DATA_DIR: target.dataDir,
    YITONG_MASTER_KEY: TEST_MASTER_KEY,
    ...TEST_CRYPTO_ENV,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
    ...env,
  });
  const server = await startServer(config, features);
  return {
    ...server,
    issuer,
    config,
    async close() {
      await server.stop();
      await target.cleanup();
    },
  };
}
