// Tencent Cloud SMS `SendSms` (version 2021-01-11), signed with TC3-HMAC-SHA256 (API 3.0):
//
//   CanonicalRequest = POST \n / \n (empty query) \n canonical headers \n signed headers \n hex(sha256(body))
//   StringToSign     = TC3-HMAC-SHA256 \n timestamp \n DATE/sms/tc3_request \n hex(sha256(CanonicalRequest))
//   key              = HMAC(HMAC(HMAC("TC3" + SecretKey, DATE), "sms"), "tc3_request")
//   Authorization    = TC3-HMAC-SHA256 Credential=SecretId/DATE/sms/tc3_request, SignedHeaders=..., Signature=hex(HMAC(key, StringToSign))
//
// DATE is the UTC date of X-TC-Timestamp. Signed headers: content-type, host, x-tc-action (names
// lower case, the action value lower case). The answer is {"Response": {...}}: `Error` for request
// level failures (signature, credentials, parameters), else one `SendStatusSet` entry per number
// whose `Code` is "Ok" or why that number was refused.
import crypto from 'node:crypto';
import type { SmsConfig } from '../config/citizen.ts';
import { gatewayFailure, type SmsResult, type SmsSender } from './types.ts';

export const TENCENT_ENDPOINT = 'https://sms.tencentcloudapi.com';
const SERVICE = 'sms';
const VERSION = '2021-01-11';
const ACTION = 'SendSms';

const sha256hex = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: crypto.BinaryLike, s: string) => crypto.createHmac('sha256', key).update(s, 'utf8').digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  host: string;
  contentType: string;
  action: string;
  body: string;
  timestamp: number;
}

export function tc3Authorization(i: Tc3Input): string {
  const date = new Date(i.timestamp * 1000).toISOString().slice(0, 10);
  const signedHeaders = 'content-type;host;x-tc-action';
  const canonicalHeaders = `content-type:${i.contentType}\nhost:${i.host}\nx-tc-action:${i.action.toLowerCase()}\n`;
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256hex(i.body)].join('\n');
  const scope = `${date}/${SERVICE}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(i.timestamp), scope, sha256hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(`TC3${i.secretKey}`, date), SERVICE), 'tc3_request');
  const signature = crypto.createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `TC3-HMAC-SHA256 Credential=${i.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

const RECIPIENT = new Set([
  'InvalidParameterValue.IncorrectPhoneNumber',
  'FailedOperation.PhoneNumberInBlacklist',
  'FailedOperation.PhoneNumberParseFail',
  'UnsupportedOperation.UnsupportedRegion',
]);

export function tencentSender(cfg: SmsConfig, now: () => number = () => Date.now()): SmsSender {
  const base = (cfg.endpoint ?? TENCENT_ENDPOINT).replace(/\/+$/, '');
  const host = new URL(base).host;
  const contentType = 'application/json; charset=utf-8';
  return {
    name: 'tencent',
    async send(phone, code): Promise<SmsResult> {
      const body = JSON.stringify({
        PhoneNumberSet: [`+86${phone}`],
        SmsSdkAppId: cfg.appId,
        SignName: cfg.signName,
        TemplateId: cfg.templateCode,
        TemplateParamSet: [code],
      });
      const timestamp = Math.floor(now() / 1000);
      const authorization = tc3Authorization({ secretId: cfg.accessKeyId, secretKey: cfg.accessKeySecret, host, contentType, action: ACTION, body, timestamp });
      try {
        const res = await fetch(`${base}/`, {
          method: 'POST',
          headers: {
            authorization,
            'content-type': contentType,
            host,
            'x-tc-action': ACTION,
            'x-tc-timestamp': String(timestamp),
            'x-tc-version': VERSION,
            'x-tc-region': cfg.region ?? 'ap-guangzhou',
          },
          body,
          signal: AbortSignal.timeout(cfg.timeoutMs),
        });
        const text = await res.text();
        let json: { Response?: { Error?: { Code?: string; Message?: string }; SendStatusSet?: { Code?: string; Message?: string; SerialNo?: string }[] } } | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const r = json?.Response;
        if (!r) return { ok: false, kind: 'gateway', code: `http_${res.status}`, message: text.slice(0, 200) };
        if (r.Error) return { ok: false, kind: 'gateway', code: String(r.Error.Code ?? 'error'), message: String(r.Error.Message ?? '').slice(0, 200) };
        const status = r.SendStatusSet?.[0];
        if (!status || typeof status.Code !== 'string') return { ok: false, kind: 'gateway', code: 'no_status', message: text.slice(0, 200) };
        if (status.Code === 'Ok') return { ok: true, messageId: status.SerialNo ?? null };
        const kind = RECIPIENT.has(status.Code) ? 'recipient' : status.Code.startsWith('LimitExceeded.PhoneNumber') ? 'rate' : 'gateway';
        return { ok: false, kind, code: status.Code, message: String(status.Message ?? '').slice(0, 200) };
      } catch (err) {
        return gatewayFailure(err);
      }
    },
  };
}
