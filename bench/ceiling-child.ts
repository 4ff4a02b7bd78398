// Primitive ceilings, each in its own process so /proc gives its CPU alone:
//   argon2  verifies with the provider's own verifyArgon2 (same parameters, same concurrency gate)
//   es256   signs ID-token-like JWTs with jose, as oidc-provider does for every ID token
// The parent sends {type:'run', concurrency, maxOps, maxSeconds}; the reply carries the count.
import crypto from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { serve, send } from './lib/child-kit.ts';
import { runLoad } from './lib/runner.ts';
import { hashPassword, setHashConcurrency, verifyArgon2 } from '../src/crypto/password.ts';

// the provider's gate: HASH_CONCURRENCY when set, else min(cores, 3) (src/crypto/password.ts)
setHashConcurrency(Number(process.env.HASH_CONCURRENCY || 0));

const mode = process.argv[2];
let op: () => Promise<void>;

if (mode === 'argon2') {
  const password = 'Bench@2026pw';
  const hash = await hashPassword(password);
  op = async () => {
    if (!(await verifyArgon2(hash, password))) throw new Error('argon2 verify failed');
  };
} else if (mode === 'es256') {
  const { privateKey } = await generateKeyPair('ES256');
  const claims = {
    sub: crypto.randomBytes(16).toString('base64url'),
    name: '张三',
    gender: 'female',
    birthdate: '1949-12-31',
    acr: 'urn:yitong:acr:pwd',
    amr: ['pwd'],
  };
  op = async () => {
    await new SignJWT({ ...claims, nonce: crypto.randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'ES256', kid: 'es256-bench' })
      .setIssuedAt()
      .setIssuer('http://127.0.0.1')
      .setAudience('bench')
      .setExpirationTime('1h')
      .sign(privateKey);
  };
} else {
  throw new Error(`ceiling-child: unknown mode ${mode}`);
}

serve(
  {
    async run(msg) {
      const result = await runLoad(
        { concurrency: Number(msg.concurrency), maxOps: Number(msg.maxOps), maxSeconds: Number(msg.maxSeconds) },
        () => op(),
      );
      return { result };
    },
  },
  async () => {},
);

send({ type: 'ready' });
