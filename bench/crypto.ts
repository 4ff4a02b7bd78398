// `node bench/crypto.ts` (npm run bench:crypto): the two crypto suites side by side, per CPU-second
// of this process: seal and open of an ID number bound to its column, a blind index, an audit MAC
// and an SM2 checkpoint signature. intl is AES-256-GCM / HMAC-SHA256; gm is SM4-CBC + HMAC-SM3
// (encrypt-then-MAC) / HMAC-SM3. The gm figures are reported as a ratio to intl in the same run.
import { Keyring, generateMasterKey, parseMasterKey } from '../src/crypto/keyring.ts';
import { CheckpointSigner, checkSignature } from '../src/audit/checkpoint.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const master = parseMasterKey(generateMasterKey());
const ID = '11010519491231002X';
const AAD = 'persons.id_number_enc';

function measure(op: () => unknown): number {
  for (let i = 0; i < 20; i++) op(); // warm up
  const start = process.cpuUsage();
  const end = Date.now() + SECONDS * 1000;
  let ops = 0;
  while (Date.now() < end) {
    op();
    ops++;
  }
  const used = process.cpuUsage(start);
  return ops / ((used.user + used.system) / 1e6);
}

const rows: { op: string; intl: number; gm: number }[] = [];
const suites = { intl: new Keyring(master, { suite: 'intl' }), gm: new Keyring(master, { suite: 'gm' }) };
const sealed = { intl: suites.intl.seal(ID, AAD), gm: suites.gm.seal(ID, AAD) };
for (const [op, run] of [
  ['seal (ID number)', (k: Keyring) => () => k.seal(ID, AAD)],
  ['open (ID number)', (k: Keyring, s: string) => () => k.open(s, AAD)],
  ['blind index', (k: Keyring) => () => k.blindIndex('id_number', ID)],
  ['audit MAC (300-byte record)', (k: Keyring) => () => k.auditMac('x'.repeat(300))],
] as const) {
  rows.push({ op, intl: measure(run(suites.intl, sealed.intl)), gm: measure(run(suites.gm, sealed.gm)) });
}

// SM2 whatever the suite (checkpoints are hourly: its cost only has to be known, not small)
const signer = CheckpointSigner.fromMasterKey(master);
const head = { seq: 1, hash: 'ab'.repeat(32) };
const cp = signer.sign(head, new Date());
const sm2 = { sign: measure(() => signer.sign(head, new Date())), verify: measure(() => checkSignature(cp, signer.publicKey)) };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`\ncrypto suites, per CPU-second of one process (Node ${process.versions.node}, ${SECONDS} s each)\n`);
console.log('| operation | intl ops/CPU-s | gm ops/CPU-s | gm / intl |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.op} | ${fmt(r.intl)} | ${fmt(r.gm)} | ${Math.round((r.gm / r.intl) * 100)} % |`);
console.log(`| SM2 checkpoint sign / verify (sm-crypto-v2) | – | ${fmt(sm2.sign)} / ${fmt(sm2.verify)} | – |`);
console.log(`\nsealed ID number: ${sealed.intl.length} characters (intl), ${sealed.gm.length} (gm)`);
