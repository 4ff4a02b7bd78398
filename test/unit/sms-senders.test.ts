// The SMS senders against local gateways that check signatures the way Alibaba Cloud and Tencent
// Cloud do (test/helpers/sms-gateways.ts): a right request delivers the code; a wrong secret, key,
// clock, sign name or app is refused with the gateway's own error and classified; the gateway's
// per-number frequency control is `rate`; a dead or hanging gateway is `gateway` within the timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliyunSender, aliyunSignature, aliyunStringToSign } from '../../src/sms/aliyun.ts';
import { tencentSender } from '../../src/sms/tencent.ts';
import { loadCitizenConfig, type SmsConfig } from '../../src/config/citizen.ts';
import { startAliyunGateway, startTencentGateway, type SmsGateway } from '../helpers/sms-gateways.ts';

const PHONE = '13800138000';

function smsConfig(env: Record<string, string>, patch: Partial<SmsConfig> = {}): SmsConfig {
  return { ...loadCitizenConfig(env, false).sms, ...patch };
}

describe('Alibaba Cloud RPC signature', () => {
  it('reproduces the published example (DescribeRegions, testid/testsecret)', () => {
    const params = {
      Timestamp: '2016-02-23T12:46:24Z',
      Format: 'XML',
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      Version: '2014-05-26',
      SignatureVersion: '1.0',
    };
    expect(aliyunStringToSign('GET', params)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(aliyunSignature('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });
});

describe.each([
  ['aliyun', startAliyunGateway, aliyunSender],
  ['tencent', startTencentGateway, tencentSender],
] as const)('%s sender against a signature-checking gateway', (name, start, make) => {
  let gw: SmsGateway;
  beforeAll(async () => {
    gw = await start();
  });
  afterAll(() => gw?.close());

  it('delivers the code (signed, UTF-8 sign name, template parameter)', async () => {
    gw.mode = 'ok';
    const r = await make(smsConfig(gw.env))!.send(PHONE, '042917');
    expect(r).toMatchObject({ ok: true });
    expect(gw.messages.at(-1)).toMatchObject({ phone: PHONE, code: '042917' });
  });

  it('a wrong secret is refused by the signature check, nothing is delivered', async () => {
    const before = gw.messages.length;
    const r = await make(smsConfig(gw.env, { accessKeySecret: 'not-the-secret' })).send(PHONE, '111111');
    expect(r).toMatchObject({ ok: false, kind: 'gateway', code: name === 'aliyun' ? 'SignatureDoesNotMatch' : 'AuthFailure.SignatureFailure' });
    expect(gw.messages.length).toBe(before);
  });

  it('an unknown access key, a wrong sign name and a skewed clock are refused with the gateway codes', async () => {
    const unknown = await make(smsConfig(gw.env, { accessKeyId: 'LTAIunknown' })).send(PHONE, '111111');
    expect(unknown).toMatchObject({ ok: false, kind: 'gateway', code: name === 'aliyun' ? 'InvalidAccessKeyId.NotFound' : 'AuthFailure.SecretIdNotFound' });
    const sign = await make(smsConfig(gw.env, { signName: '别的签名' })).send(PHONE, '111111');
    expect(sign).toMatchObject({ ok: false, kind: 'gateway', code: name === 'aliyun' ? 'isv.SMS_SIGNATURE_ILLEGAL' : 'FailedOperation.SignatureIncorrectOrUnapproved' });
    const skewed =
      name === 'aliyun'
        ? await aliyunSender(smsConfig(gw.env), () => new Date(Date.now() - 3600_000)).send(PHONE, '111111')
        : await tencentSender(smsConfig(gw.env), () => Date.now() - 3600_000).send(PHONE, '111111');
    expect(skewed).toMatchObject({ ok: false, kind: 'gateway', code: name === 'aliyun' ? 'InvalidTimeStamp.Expired' : 'AuthFailure.SignatureExpire' });
  });

  it("the gateway's per-number frequency control is `rate`; a number it rejects is `recipient`", async () => {
    gw.mode = 'limit';
    expect(await make(smsConfig(gw.env)).send(PHONE, '111111')).toMatchObject({ ok: false, kind: 'rate' });
    gw.mode = 'ok';
    expect(await make(smsConfig(gw.env)).send('12345', '111111')).toMatchObject({ ok: false, kind: 'recipient' });
  });

  it('a dead gateway (503 page) and a hanging one (timeout) are `gateway` failures, never exceptions', async () => {
    gw.mode = 'down';
    expect(await make(smsConfig(gw.env)).send(PHONE, '111111')).toMatchObject({ ok: false, kind: 'gateway', code: 'http_503' });
    gw.mode = 'hang';
    const t0 = Date.now();
    expect(await make(smsConfig(gw.env, { timeoutMs: 300 })).send(PHONE, '111111')).toMatchObject({ ok: false, kind: 'gateway', code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2000);
    gw.mode = 'ok';
    const closed = await make(smsConfig(gw.env, { endpoint: 'http://127.0.0.1:9' })).send(PHONE, '111111');
    expect(closed).toMatchObject({ ok: false, kind: 'gateway' });
  });
});

describe('SMS configuration', () => {
  it('log is the default outside production and refused in production; aliyun/tencent need their keys', () => {
    expect(loadCitizenConfig({}, false).sms.provider).toBe('log');
    expect(loadCitizenConfig({}, true).sms.provider).toBe('none');
    expect(() => loadCitizenConfig({ SMS_PROVIDER: 'log' }, true)).toThrow(/refused/);
    expect(() => loadCitizenConfig({ SMS_PROVIDER: 'aliyun' }, false)).toThrow(/SMS_ACCESS_KEY_ID/);
    expect(() => loadCitizenConfig({ SMS_PROVIDER: 'tencent', SMS_ACCESS_KEY_ID: 'a', SMS_ACCESS_KEY_SECRET: 'b', SMS_SIGN_NAME: 'c', SMS_TEMPLATE_CODE: 'd' }, false)).toThrow(/SMS_APP_ID/);
    expect(() => loadCitizenConfig({ SMS_PROVIDER: 'carrier-pigeon' }, false)).toThrow(/SMS_PROVIDER/);
    expect(() => loadCitizenConfig({ SMS_ENDPOINT: 'ftp://x' }, false)).toThrow(/SMS_ENDPOINT/);
    expect(() => loadCitizenConfig({ IDV_URL: 'http://idv.example.gov.cn/verify' }, true)).toThrow(/https/);
  });
});
