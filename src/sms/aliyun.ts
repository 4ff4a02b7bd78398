// Alibaba Cloud SMS (Dysmsapi), RPC style: POST form `Action=SendSms`, `Version=2017-05-25`, signed
// with HMAC-SHA1 over the sorted, percent-encoded parameters (signature version 1.0):
//
//   StringToSign = METHOD & percent("/") & percent(canonicalised query string)
//   Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))
//
// percent() is RFC 3986: A-Z a-z 0-9 - _ . ~ stay, everything else is %XY of its UTF-8 bytes (a
// space is %20, never +). The answer is JSON: {"Code": "OK", "BizId", "RequestId", "Message"} or an
// error code (HTTP 4xx for signature and credential errors, 200 with an `isv.*` code for business
// refusals such as the per-number frequency control).
import crypto from 'node:crypto';
import type { SmsConfig } from '../config/citizen.ts';
import { gatewayFailure, type SmsResult, type SmsSender } from './types.ts';

export const ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com';

/** RFC 3986 percent-encoding as Alibaba Cloud's signature uses it. */
export function aliyunPercent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function aliyunStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercent(k)}=${aliyunPercent(params[k])}`)
    .join('&');
  return `${method}&${aliyunPercent('/')}&${aliyunPercent(canonical)}`;
}

export function aliyunSignature(method: string, params: Record<string, string>, secret: string): string {
  return crypto.createHmac('sha1', `${secret}&`).update(aliyunStringToSign(method, params), 'utf8').digest('base64');
}

// Codes for which the number is the problem, and the gateway's own per-number frequency control.
const RECIPIENT = new Set(['isv.MOBILE_NUMBER_ILLEGAL', 'isv.MOBILE_COUNT_OVER_LIMIT', 'isv.BLACK_KEY_CONTROL_LIMIT', 'isv.DENY_IP_RANGE']);
const RATE = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'isv.DAY_LIMIT_CONTROL', 'isv.MONTH_LIMIT_CONTROL']);

export function aliyunSender(cfg: SmsConfig, now: () => Date = () => new Date()): SmsSender {
  const base = (cfg.endpoint ?? ALIYUN_ENDPOINT).replace(/\/+$/, '');
  return {
    name: 'aliyun',
    async send(phone, code): Promise<SmsResult> {
      const params: Record<string, string> = {
        AccessKeyId: cfg.accessKeyId,
        Action: 'SendSms',
        Format: 'JSON',
        PhoneNumbers: phone,
        RegionId: cfg.region ?? 'cn-hangzhou',
        SignName: cfg.signName,
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: crypto.randomUUID(),
        SignatureVersion: '1.0',
        TemplateCode: cfg.templateCode,
        TemplateParam: JSON.stringify({ code }),
        Timestamp: now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        Version: '2017-05-25',
      };
      params.Signature = aliyunSignature('POST', params, cfg.accessKeySecret);
      const body = Object.entries(params)
        .map(([k, v]) => `${aliyunPercent(k)}=${aliyunPercent(v)}`)
        .join('&');
      try {
        const res = await fetch(`${base}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(cfg.timeoutMs),
        });
        const text = await res.text();
        let json: { Code?: string; Message?: string; BizId?: string } | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        if (!json || typeof json.Code !== 'string') return { ok: false, kind: 'gateway', code: `http_${res.status}`, message: text.slice(0, 200) };
        if (res.ok && json.Code === 'OK') return { ok: true, messageId: json.BizId ?? null };
        const kind = RECIPIENT.has(json.Code) ? 'recipient' : RATE.has(json.Code) ? 'rate' : 'gateway';
        return { ok: false, kind, code: json.Code, message: String(json.Message ?? '').slice(0, 200) };
      } catch (err) {
        return gatewayFailure(err);
      }
    },
  };
}
