// Signed checkpoints of the audit chain head, kept outside the database (WORM storage, another
// host): with one, `yitong audit verify --checkpoint` notices a chain cut back (truncated) or cut
// back and continued (rewound), which the chain alone cannot show to someone who may also move the
// head. Signed with SM2 (GB/T 32918, SM3 digest, the standard user id) so that the signature is
// checked with the public key alone; the head hash itself is an HMAC under the master key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sm2, sm3 } from 'sm-crypto-v2';
import type { Config } from '../config/env.ts';
import { parseMasterKey } from '../crypto/keyring.ts';
import { canonicalJson } from './chain.ts';
import type { ChainHead } from './store.ts';

export const SM2_USER_ID = '1234567812345678';
export const CHECKPOINT_ALG = 'SM2-with-SM3';
/** the order of the SM2 curve (GB/T 32918.5) */
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

export interface Checkpoint {
  /** 1: one chain (seq and hash are chain 1's head); 2: several, every head in `heads` */
  v: 1 | 2;
  alg: typeof CHECKPOINT_ALG;
  /** the newest record over all chains */
  seq: number;
  hash: string;
  /** every chain's head (v2 only) */
  heads?: ChainHead[];
  /** when the head was read, ISO 8601 */
  time: string;
  /** 'sm2:' + 16 hex of SM3(public key) */
  key_id: string;
  /** uncompressed SM2 public key, hex ('04' + x + y) */
  public_key: string;
  /** DER-encoded SM2 signature, hex, over the canonical JSON of every other field */
  signature: string;
}

export type CheckpointFault = 'malformed' | 'bad_signature' | 'wrong_key';

export function sm2KeyId(publicKey: string): string {
  return 'sm2:' + sm3(Uint8Array.from(Buffer.from(publicKey, 'hex'))).slice(0, 16);
}

function signedPayload(cp: Omit<Checkpoint, 'signature'>): string {
  const { v, alg, seq, hash, heads, time, key_id, public_key } = cp;
  return canonicalJson({ v, alg, seq, hash, heads, time, key_id, public_key });
}

export class CheckpointSigner {
  readonly publicKey: string;
  readonly keyId: string;
  readonly #privateKey: string;

  constructor(privateKeyHex: string) {
    const d = BigInt('0x' + privateKeyHex);
    if (d < 1n || d >= SM2_N - 1n) throw new Error('SM2 private key out of range [1, n-2]');
    this.#privateKey = privateKeyHex.toLowerCase().padStart(64, '0');
    this.publicKey = sm2.getPublicKeyFromPrivateKey(this.#privateKey);
    this.keyId = sm2KeyId(this.publicKey);
  }

  /** A key derived from the master key (HKDF, reduced into [1, n-2]): nothing more to keep safe. */
  static fromMasterKey(master: Buffer): CheckpointSigner {
    const okm = Buffer.from(crypto.hkdfSync('sha256', master, 'yitong', 'audit-checkpoint/sm2', 48));
    const d = (BigInt('0x' + okm.toString('hex')) % (SM2_N - 2n)) + 1n;
    return new CheckpointSigner(d.toString(16).padStart(64, '0'));
  }

  /** AUDIT_CHECKPOINT_KEY, else derived from the master key (YITONG_MASTER_KEY or DATA_DIR/master.key). */
  static fromConfig(config: Pick<Config, 'audit' | 'masterKey' | 'dataDir'>): CheckpointSigner {
    if (config.audit.checkpointKey) return new CheckpointSigner(config.audit.checkpointKey);
    const raw = config.masterKey ?? fs.readFileSync(path.join(config.dataDir, 'master.key'), 'utf8');
    return CheckpointSigner.fromMasterKey(parseMasterKey(raw));
  }

  /** Signs the newest head, and every chain's head when `heads` lists them (AuditLog.head gives both). */
  sign(head: { seq: number; hash: string; heads?: readonly ChainHead[] }, time: Date): Checkpoint {
    const heads = head.heads?.map(({ chain, seq, hash }) => ({ chain, seq, hash }));
    const body: Omit<Checkpoint, 'signature'> = { v: heads ? 2 : 1, alg: CHECKPOINT_ALG, seq: head.seq, hash: head.hash, ...(heads ? { heads } : {}), time: time.toISOString(), key_id: this.keyId, public_key: this.publicKey };
    const signature = sm2.doSignature(signedPayload(body), this.#privateKey, { der: true, hash: true, userId: SM2_USER_ID, publicKey: this.publicKey });
    return { ...body, signature };
  }
}

/** Parses a checkpoint file's text; null when it is not one. */
export function parseCheckpoint(text: string): Checkpoint | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null) return null;
  const c = o as Record<string, unknown>;
  const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]+$/i.test(v);
  const seq = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if ((c.v !== 1 && c.v !== 2) || c.alg !== CHECKPOINT_ALG || !seq(c.seq)) return null;
  if (c.v === 1 ? c.heads !== undefined : !Array.isArray(c.heads) || !c.heads.length) return null;
  if (c.v === 2 && !(c.heads as unknown[]).every((h) => typeof h === 'object' && h !== null && Number.isSafeInteger((h as ChainHead).chain) && seq((h as ChainHead).seq) && hex((h as ChainHead).hash))) return null;
  if (!hex(c.hash) || typeof c.time !== 'string' || typeof c.key_id !== 'string' || !hex(c.public_key) || !hex(c.signature)) return null;
  return c as unknown as Checkpoint;
}

/**
 * Checks a checkpoint's signature against the trusted public keys (the configured signer's and those
 * recorded before, or those given on the command line). A valid signature by any other key is
 * `wrong_key`: someone re-signed.
 */
export function checkSignature(cp: Checkpoint, trusted: string | readonly string[]): CheckpointFault | null {
  const keys = (typeof trusted === 'string' ? [trusted] : trusted).map((k) => k.toLowerCase());
  if (!keys.includes(cp.public_key.toLowerCase())) return 'wrong_key';
  if (cp.key_id !== sm2KeyId(cp.public_key)) return 'bad_signature';
  let ok = false;
  try {
    ok = sm2.doVerifySignature(signedPayload(cp), cp.signature, cp.public_key, { der: true, hash: true, userId: SM2_USER_ID });
  } catch {
    ok = false;
  }
  return ok ? null : 'bad_signature';
}

/** A checkpoint file is never replaced: the store is meant to be write-once. */
export class CheckpointExistsError extends Error {
  readonly file: string;
  constructor(file: string) {
    super(`检查点文件已存在，不覆盖 / checkpoint file exists, not overwritten: ${file}`);
    this.file = file;
  }
}

/**
 * Writes `checkpoint-<seq>.json` into `dir` (or to `file`), never over an existing file: a temp file,
 * fsynced, then hard-linked into place (link fails when the name is taken, where rename would
 * replace it). Stores that cannot link (object-store mounts, some SMB shares) get the file created
 * exclusively and written in place instead.
 */
export function writeCheckpoint(cp: Checkpoint, target: { dir: string } | { file: string }): string {
  const file = 'dir' in target ? path.join(target.dir, `checkpoint-${cp.seq}.json`) : target.file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = JSON.stringify(cp) + '\n';
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  let linked = false;
  try {
    writeNew(tmp, text);
    fs.linkSync(tmp, file);
    linked = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CheckpointExistsError(file);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EACCES'].includes(code ?? '')) throw err;
  } finally {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // a write-once store may keep it; the checkpoint itself is what matters
    }
  }
  if (!linked) {
    try {
      writeNew(file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CheckpointExistsError(file);
      throw err;
    }
  }
  return file;
}

function writeNew(file: string, text: string): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A checkpoint file as given, or every `checkpoint-<seq>.json` in a directory, oldest (lowest seq) first. */
export function checkpointFiles(p: string): string[] {
  if (!fs.statSync(p, { throwIfNoEntry: false })?.isDirectory()) return [p];
  return fs
    .readdirSync(p)
    .map((n) => /^checkpoint-(\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => path.join(p, m[0]));
}

/** The newest (highest seq) checkpoint file: `p` itself when it is a file; null for a directory without one. */
export function checkpointFile(p: string): string | null {
  return checkpointFiles(p).at(-1) ?? null;
}
