// Local SMS gateways that speak Alibaba Cloud's and Tencent Cloud's SendSms protocols the way the
// real ones do: they recompute the request signature from the shared secret (written here
// independently of src/sms, from the published algorithms) and refuse a request whose signature,
// credentials, timestamp, nonce, sign name, template or parameters are wrong, with the gateways'
// own error bodies. A request that passes is "delivered": the test reads the code the phone got.
//
// `mode`: `ok`; `down` (503 without a JSON body, as a load balancer in front of a dead gateway
// answers); `hang` (never answers: the client's timeout); `limit` (the gateway's per-number
// frequency control refuses every number).
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

export interface ReceivedSms {
  phone: string;
  code: string;
  at: number;
}

export type GatewayMode = 'ok' | 'down' | 'hang' | 'limit';

export interface SmsGateway {
  /** SMS_ENDPOINT */
  url: string;
  /** the environment a Yitong server needs to use this gateway */
  env: Record<string, string>;
  /** messages delivered, oldest first */
  messages: ReceivedSms[];
  /** every request with what the gateway answered (`Code` or the HTTP status) */
  requests: { answer: string; at: number }[];
  mode: GatewayMode;
  /** the newest code delivered to `phone` after message number `after` (polls up to 5 s) */
  codeFor(phone: string, after?: number): Promise<string>;
  close(): Promise<void>;
}

export const KEY_ID = 'LTAI5tYitongTestKey';
export const KEY_SECRET = 'yitong-test-secret-不要用于生产';
export const SIGN_NAME = '一通测试';
export const TEMPLATE = 'SMS_000001';
export const TENCENT_APP_ID = '1400000001';

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** RFC 3986 encoding over UTF-8 bytes, unreserved characters kept (A-Z a-z 0-9 - _ . ~). */
function rfc3986(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const MOBILE = /^1[3-9]\d{9}$/;

interface Base {
  server: http.Server;
  held: Set<http.ServerResponse>;
}

async function listen(handler: (req: http.IncomingMessage, res: http.ServerResponse, held: Set<http.ServerResponse>) => Promise<void>): Promise<Base & { url: string }> {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    handler(req, res, held).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test gateway error: ${err.message}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { server, held, url: `http://127.0.0.1:${port}` };
}

function gatewayObject(base: Base & { url: string }, env: Record<string, string>, messages: ReceivedSms[], requests: SmsGateway['requests'], state: { mode: GatewayMode }): SmsGateway {
  return {
    url: base.url,
    env,
    messages,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(m: GatewayMode) {
      state.mode = m;
    },
    async codeFor(phone, after = 0) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const m = messages.slice(after).filter((x) => x.phone === phone).at(-1);
        if (m) return m.code;
        if (Date.now() > deadline) throw new Error(`no SMS reached ${phone}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of base.held) res.destroy();
        base.server.closeAllConnections();
        base.server.close(() => r());
      }),
  };
}

/** Alibaba Cloud Dysmsapi (RPC, HMAC-SHA1). */
export async function startAliyunGateway(): Promise<SmsGateway> {
  const messages: ReceivedSms[] = [];
  const requests: SmsGateway['requests'] = [];
  const nonces = new Set<string>();
  const state = { mode: 'ok' as GatewayMode };
  const base = await listen(async (req, res, held) => {
    const raw = await readBody(req);
    const json = (status: number, body: Record<string, unknown>) => {
      requests.push({ answer: String(body.Code), at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify({ RequestId: crypto.randomUUID().toUpperCase(), ...body }));
    };
    const error = (status: number, code: string, message: string) =>
      json(status, { HostId: 'dysmsapi.aliyuncs.com', Code: code, Message: message, Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Dysmsapi` });
    if (state.mode === 'hang') return void held.add(res);
    if (state.mode === 'down') {
      requests.push({ answer: '503', at: Date.now() });
      return void res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Temporarily Unavailable</body></html>');
    }
    const method = req.method ?? 'GET';
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    // RPC parameters come in the query (GET) or a form body (POST)
    const params: Record<string, string> = {};
    for (const [k, v] of query) params[k] = v;
    if (method === 'POST') for (const [k, v] of new URLSearchParams(raw)) params[k] = v;
    for (const p of ['AccessKeyId', 'Action', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version', 'Signature']) {
      if (!params[p]) return error(400, 'MissingParameter', `The input parameter "${p}" that is mandatory for processing this request is not supplied.`);
    }
    if (params.Action !== 'SendSms') return error(400, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    if (params.Version !== '2017-05-25') return error(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') return error(400, 'InvalidSignatureMethod', 'Specified signature method is not valid.');
    if (params.AccessKeyId !== KEY_ID) return error(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const ts = Date.parse(params.Timestamp);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.Timestamp) || Number.isNaN(ts)) return error(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    if (Math.abs(Date.now() - ts) > 15 * 60_000) return error(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const sorted = Object.keys(params)
      .filter((k) => k !== 'Signature')
      .sort()
      .map((k) => `${rfc3986(k)}=${rfc3986(params[k])}`)
      .join('&');
    const stringToSign = `${method}&${rfc3986('/')}&${rfc3986(sorted)}`;
    const expected = crypto.createHmac('sha1', KEY_SECRET + '&').update(Buffer.from(stringToSign, 'utf8')).digest('base64');
    if (expected !== params.Signature) return error(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
    if (nonces.has(params.SignatureNonce)) return error(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    nonces.add(params.SignatureNonce);

    // business checks: 200 with an isv.* code, as the real gateway answers them
    if (params.SignName !== SIGN_NAME) return json(200, { Code: 'isv.SMS_SIGNATURE_ILLEGAL', Message: '该账号下找不到对应签名' });
    if (params.TemplateCode !== TEMPLATE) return json(200, { Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '该账号下找不到对应模板' });
    let code: unknown;
    try {
      code = (JSON.parse(params.TemplateParam ?? '') as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return json(200, { Code: 'isv.TEMPLATE_MISSING_PARAMETERS', Message: '模板变量缺少对应参数值' });
    const phone = params.PhoneNumbers ?? '';
    if (!MOBILE.test(phone)) return json(200, { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: `${phone}invalid` });
    if (state.mode === 'limit') return json(200, { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发号码天级流控Permits:10' });
    messages.push({ phone, code, at: Date.now() });
    return json(200, { Code: 'OK', Message: 'OK', BizId: `${Date.now()}^0` });
  });
  const env = {
    SMS_PROVIDER: 'aliyun',
    SMS_ENDPOINT: base.url,
    SMS_ACCESS_KEY_ID: KEY_ID,
    SMS_ACCESS_KEY_SECRET: KEY_SECRET,
    SMS_SIGN_NAME: SIGN_NAME,
    SMS_TEMPLATE_CODE: TEMPLATE,
    SMS_TIMEOUT_MS: '1500',
  };
  return gatewayObject(base, env, messages, requests, state);
}

/** Tencent Cloud SMS API 3.0 (TC3-HMAC-SHA256), SendSms 2021-01-11. */
export async function startTencentGateway(): Promise<SmsGateway> {
  const messages: ReceivedSms[] = [];
  const requests: SmsGateway['requests'] = [];
  const state = { mode: 'ok' as GatewayMode };
  const base = await listen(async (req, res, held) => {
    const raw = await readBody(req);
    const requestId = crypto.randomUUID();
    const respond = (answer: string, response: Record<string, unknown>) => {
      requests.push({ answer, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Response: { ...response, RequestId: requestId } }));
    };
    const error = (code: string, message: string) => respond(code, { Error: { Code: code, Message: message } });
    if (state.mode === 'hang') return void held.add(res);
    if (state.mode === 'down') {
      requests.push({ answer: '503', at: Date.now() });
      return void res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
    }
    if (req.method !== 'POST') return error('InvalidParameter', 'only POST with a JSON body is supported here');
    const h = req.headers;
    const auth = String(h.authorization ?? '');
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return error('AuthFailure.InvalidAuthorization', 'Authorization header format error.');
    const [, secretId, date, service, signedHeaders, signature] = m;
    if (secretId !== KEY_ID) return error('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');
    if (service !== 'sms') return error('AuthFailure.InvalidAuthorization', `service in credential scope must be sms, not ${service}`);
    const timestamp = Number(h['x-tc-timestamp']);
    if (!Number.isInteger(timestamp)) return error('MissingParameter', 'The request is missing a required parameter `Timestamp`.');
    if (Math.abs(Date.now() / 1000 - timestamp) > 300) return error('AuthFailure.SignatureExpire', 'Signature expired. Timestamp is out of the allowed range.');
    if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated: the credential date is not the date of the timestamp.');
    if (String(h['x-tc-action']) !== 'SendSms') return error('InvalidAction', `The requested action ${h['x-tc-action']} does not exist.`);
    if (String(h['x-tc-version']) !== '2021-01-11') return error('NoSuchVersion', 'The requested version does not exist or is not supported.');
    if (!h['x-tc-region']) return error('MissingParameter', 'The request is missing a required parameter `Region`.');
    const names = signedHeaders.split(';');
    if (!names.includes('content-type') || !names.includes('host')) return error('AuthFailure.SignatureFailure', 'SignedHeaders must include content-type and host.');
    // header names lower case, values trimmed; the action's value lower case too (as the SDKs sign it)
    const canonicalHeaders = names
      .map((n) => {
        const v = String(h[n] ?? '').trim();
        return `${n}:${n === 'x-tc-action' ? v.toLowerCase() : v}\n`;
      })
      .join('');
    const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
    const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${hash(raw)}`;
    const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${hash(canonicalRequest)}`;
    let k = crypto.createHmac('sha256', 'TC3' + KEY_SECRET).update(date).digest();
    k = crypto.createHmac('sha256', k).update('sms').digest();
    k = crypto.createHmac('sha256', k).update('tc3_request').digest();
    const expected = crypto.createHmac('sha256', k).update(stringToSign).digest('hex');
    if (expected !== signature) return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');

    let body: { PhoneNumberSet?: unknown; SmsSdkAppId?: unknown; SignName?: unknown; TemplateId?: unknown; TemplateParamSet?: unknown };
    try {
      body = JSON.parse(raw);
    } catch {
      return error('InvalidParameter.JsonParseError', 'The JSON body could not be parsed.');
    }
    if (body.SmsSdkAppId !== TENCENT_APP_ID) return error('InvalidParameterValue.SdkAppIdNotExist', 'SdkAppId not exist.');
    if (body.SignName !== SIGN_NAME) return error('FailedOperation.SignatureIncorrectOrUnapproved', 'signature format is incorrect or signature is not approved');
    if (body.TemplateId !== TEMPLATE) return error('FailedOperation.TemplateIncorrectOrUnapproved', 'template is not approved or template information is abnormal');
    const params = body.TemplateParamSet;
    if (!Array.isArray(params) || params.length !== 1 || typeof params[0] !== 'string' || !/^\d{6}$/.test(params[0])) {
      return error('InvalidParameterValue.TemplateParameterFormatError', 'the template parameters do not match the template');
    }
    const numbers = Array.isArray(body.PhoneNumberSet) ? (body.PhoneNumberSet as unknown[]) : [];
    if (!numbers.length) return error('MissingParameter', 'The request is missing a required parameter `PhoneNumberSet`.');
    const statuses = numbers.map((n) => {
      const e164 = String(n);
      const local = e164.replace(/^\+86/, '');
      const entry = { SerialNo: '', PhoneNumber: e164, Fee: 0, SessionContext: '', IsoCode: 'CN' };
      if (!e164.startsWith('+86') || !MOBILE.test(local)) return { ...entry, Code: 'InvalidParameterValue.IncorrectPhoneNumber', Message: 'incorrect phone number' };
      if (state.mode === 'limit') return { ...entry, Code: 'LimitExceeded.PhoneNumberThirtySecondLimit', Message: 'the number of SMS messages sent from a single mobile number within 30 seconds exceeds the upper limit' };
      messages.push({ phone: local, code: params[0] as string, at: Date.now() });
      return { ...entry, SerialNo: `2028:${crypto.randomBytes(8).toString('hex')}`, Fee: 1, Code: 'Ok', Message: 'send success' };
    });
    return respond(statuses[0].Code, { SendStatusSet: statuses });
  });
  const env = {
    SMS_PROVIDER: 'tencent',
    SMS_ENDPOINT: base.url,
    SMS_ACCESS_KEY_ID: KEY_ID,
    SMS_ACCESS_KEY_SECRET: KEY_SECRET,
    SMS_SIGN_NAME: SIGN_NAME,
    SMS_TEMPLATE_CODE: TEMPLATE,
    SMS_APP_ID: TENCENT_APP_ID,
    SMS_TIMEOUT_MS: '1500',
  };
  return gatewayObject(base, env, messages, requests, state);
}
