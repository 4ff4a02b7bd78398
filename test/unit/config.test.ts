// Configuration parsing: the proxy hop count and the shutdown grace period.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

const base = { NODE_ENV: 'development', DATA_DIR: '/tmp/yitong-config-test' };

describe('TRUST_PROXY', () => {
  it('is the number of trusted proxy hops; `true` means one, `false` and unset none', () => {
    const hops = (v: string | undefined) => loadConfig({ ...base, TRUST_PROXY: v }).trustProxyHops;
    expect([undefined, '', '0', 'false', '1', 'true', '2', ' 3 '].map(hops)).toEqual([0, 0, 0, 0, 1, 1, 2, 3]);
  });

  it('refuses anything else', () => {
    for (const v of ['yes', '-1', '1.5', '1e3', '100', 'TRUE1']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: v }), v).toThrow(ConfigError);
    }
  });
});

describe('SHUTDOWN_GRACE_SECONDS', () => {
  it('defaults to a few seconds (none under NODE_ENV=test) and accepts a non-negative number', () => {
    expect(loadConfig(base).shutdownGraceSeconds).toBe(5);
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).shutdownGraceSeconds).toBe(0);
    expect(loadConfig({ ...base, SHUTDOWN_GRACE_SECONDS: '0.5' }).shutdownGraceSeconds).toBe(0.5);
    for (const v of ['-1', 'soon', '3600']) expect(() => loadConfig({ ...base, SHUTDOWN_GRACE_SECONDS: v }), v).toThrow(ConfigError);
  });
});
