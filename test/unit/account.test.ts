// Pure parts of the account centre: devices named from the User-Agent, networks masked, the SMTP
// configuration read from the environment.
import { describe, expect, it } from 'vitest';
import { maskNetwork, parseUserAgent } from '../../src/account/devices.ts';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

describe('devices', () => {
  it('names browser and system', () => {
    expect(parseUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47')).toEqual({ browser: 'WeChat', os: 'iOS' });
    expect(parseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0')).toEqual({ browser: 'Edge', os: 'Windows' });
    expect(parseUserAgent('Mozilla/5.0 (Linux; Android 12; HarmonyOS; ALN-AL00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36')).toEqual({ browser: 'Chrome', os: 'HarmonyOS' });
    expect(parseUserAgent('curl/8.0')).toEqual({ browser: null, os: null });
  });

  it('masks the host part of an address and says what kind of network it is', () => {
    expect(maskNetwork('203.0.113.7')).toEqual({ masked: '203.0.113.*', kind: 'public' });
    expect(maskNetwork('::ffff:10.1.2.3')).toEqual({ masked: '10.1.2.*', kind: 'private' });
    expect(maskNetwork('127.0.0.1')).toEqual({ masked: '127.0.0.*', kind: 'loopback' });
    expect(maskNetwork('2001:db8:1:2::7')).toEqual({ masked: '2001:db8:1:*', kind: 'public' });
    expect(maskNetwork('not an ip')).toBeNull();
    expect(maskNetwork(null)).toBeNull();
  });
});

describe('SMTP configuration', () => {
  it('reads SMTP_URL or the separate variables', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u%40x:p%2Fw@mail.example.gov.cn', SMTP_FROM: '一通 <a@b.cn>' }).smtp).toEqual({
      host: 'mail.example.gov.cn', port: 465, secure: true, user: 'u@x', pass: 'p/w', from: '一通 <a@b.cn>',
    });
    expect(loadConfig({ SMTP_HOST: 'mx.local', SMTP_USER: 'u', SMTP_PASS: 'p' }).smtp).toEqual({ host: 'mx.local', port: 587, secure: false, user: 'u', pass: 'p', from: 'noreply@mx.local' });
    expect(loadConfig({}).smtp).toBeNull();
    expect(() => loadConfig({ SMTP_URL: 'http://x' })).toThrow(ConfigError);
    expect(loadConfig({}).account).toEqual({ cancelCoolingOffDays: 15, erasureEverySeconds: 600, emailCodeSeconds: 600 });
  });
});
