// `node bench/mfa.ts`: what a second factor costs beside the password, per CPU-second of this
// process (utime+stime, libuv's pool included): an argon2id verify at the login's parameters, a
// TOTP verification (otplib, ±1 step, as src/mfa/totp.ts calls it) and a passkey assertion
// verification (@simplewebauthn/server, ES256, as src/mfa/passkeys.ts calls it). Crypto only: the
// database statements around each (the step claim, the counter update, the challenge) are the
// same few indexed single-row writes as the rest of a login and are not timed here.
import crypto from 'node:crypto';
import { generateSecret, generate, verify } from 'otplib';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { hashPassword, verifyArgon2 } from '../src/crypto/password.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

async function measure(name: string, op: () => Promise<unknown>): Promise<{ name: string; ops: number; opsPerCpuSecond: number }> {
  for (let i = 0; i < 5; i++) await op(); // warm up
  const start = process.cpuUsage();
  const wallEnd = Date.now() + SECONDS * 1000;
  let ops = 0;
  while (Date.now() < wallEnd) {
    await op();
    ops++;
  }
  const used = process.cpuUsage(start);
  const cpu = (used.user + used.system) / 1e6;
  return { name, ops, opsPerCpuSecond: Math.round((ops / cpu) * 10) / 10 };
}

// ---- a passkey assertion made here with an ES256 key, as an authenticator would -------------
const rpID = 'localhost';
const origin = 'http://localhost:3000';
const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
// COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} in CBOR
const cose = Buffer.concat([
  Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
  Buffer.from(jwk.x, 'base64url'),
  Buffer.from([0x22, 0x58, 0x20]),
  Buffer.from(jwk.y, 'base64url'),
]);
const credentialId = crypto.randomBytes(16).toString('base64url');
const challenge = crypto.randomBytes(32).toString('base64url');
const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }));
const counter = Buffer.alloc(4);
counter.writeUInt32BE(1);
// rpIdHash | flags (UP, UV) | counter
const authData = Buffer.concat([crypto.createHash('sha256').update(rpID).digest(), Buffer.from([0x05]), counter]);
const signature = crypto.sign('sha256', Buffer.concat([authData, crypto.createHash('sha256').update(clientDataJSON).digest()]), privateKey);
const assertion = {
  id: credentialId,
  rawId: credentialId,
  type: 'public-key' as const,
  clientExtensionResults: {},
  response: { clientDataJSON: clientDataJSON.toString('base64url'), authenticatorData: authData.toString('base64url'), signature: signature.toString('base64url') },
};

const secret = generateSecret({ length: 20 });
const hash = await hashPassword('Yitong@2026');
const results = [
  await measure('argon2id verify (password login)', () => verifyArgon2(hash, 'Yitong@2026')),
  await measure('TOTP verify (±1 step)', async () => {
    const token = await generate({ secret });
    const r = await verify({ secret, token, epochTolerance: 30 });
    if (!r.valid) throw new Error('TOTP did not verify');
  }),
  await measure('passkey assertion verify (ES256)', async () => {
    const r = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: credentialId, publicKey: cose, counter: 0 },
      requireUserVerification: true,
    });
    if (!r.verified) throw new Error('assertion did not verify');
  }),
];
for (const r of results) console.log(`${r.name.padEnd(36)} ${String(r.ops).padStart(7)} ops  ${String(r.opsPerCpuSecond).padStart(9)} ops/CPU-s`);
console.log(JSON.stringify({ seconds: SECONDS, results }));
