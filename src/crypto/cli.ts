// `yitong crypto ...`: the crypto suite, key fingerprints and re-sealing (GB/T 39786 key management).
import { openApp } from '../bootstrap.ts';
import type { Command } from '../cli/commands.ts';
import { metaStore } from '../db/meta-store.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { CRYPTO_SUITES, type CryptoSuite } from './suites.ts';
import { CryptoMismatchError, META, readReseal } from './startup.ts';
import { beginReseal, runReseal } from './reseal.ts';
import { resealStore } from './reseal-store.ts';
import { SEALED_TABLES } from './sealed-columns.ts';

export const cryptoCommands: Record<string, Command> = {
  'crypto status': {
    summary: { 'zh-CN': '查看密码套件、密钥指纹与重新加密进度', en: 'show the crypto suite, key fingerprints and reseal progress' },
    usage: 'yitong crypto status [--counts]',
    options: { counts: { type: 'boolean' } },
    run: async (env, v) => {
      // opened without the startup check: status must also explain why a node refuses to start
      const opened = env.hosted ? undefined : await openApp(env.config, { poolSize: 2, skipCryptoCheck: true });
      try {
        const { db, keyring } = env.hosted ?? opened!.app;
        const reseal = await readReseal(db);
        const status = {
          suite: keyring.suite,
          masterKeyFingerprint: keyring.fingerprint,
          previousMasterKeyFingerprint: keyring.previousFingerprint,
          auditKeyId: keyring.auditKeyId,
          data: {
            suite: (await metaStore.get(db, META.suite)) ?? null,
            masterKeyFingerprint: (await metaStore.get(db, META.fingerprint)) ?? null,
          },
          reseal,
          // a scan of every sealed column: only when asked
          counts: v.counts ? await sealedCounts(db) : undefined,
        };
        const lines = [
          `suite (CRYPTO_SUITE):          ${status.suite}`,
          `master key fingerprint:        ${status.masterKeyFingerprint}${status.previousMasterKeyFingerprint ? ` (rotating from ${status.previousMasterKeyFingerprint})` : ''}`,
          `audit MAC key id:              ${status.auditKeyId}`,
          `data sealed with:              ${status.data.suite ?? '-'} / ${status.data.masterKeyFingerprint ?? '-'}`,
          reseal
            ? `reseal in progress:            ${reseal.from.suite}/${reseal.from.fingerprint} -> ${reseal.to.suite}/${reseal.to.fingerprint}, ${reseal.done.length} columns done${reseal.cursor ? `, at ${reseal.cursor.entry}` : ''}`
            : 'reseal:                        none in progress',
          ...(status.counts ? Object.entries(status.counts).map(([c, n]) => `  ${c.padEnd(42)} v1 ${n.v1}  g1 ${n.g1}`) : []),
        ];
        return { json: status as unknown as Record<string, unknown>, text: lines.join('\n') };
      } finally {
        await opened?.close();
      }
    },
  },

  'crypto reseal': {
    summary: { 'zh-CN': '按指定密码套件（及 YITONG_NEW_MASTER_KEY 新主密钥）重新加密全部数据', en: 're-encrypt all sealed data under a suite (and YITONG_NEW_MASTER_KEY)' },
    usage: 'yitong crypto reseal --suite intl|gm [--prepare] [--batch N]',
    options: { suite: { type: 'string' }, prepare: { type: 'boolean' }, batch: { type: 'string' } },
    run: async (env, v) => {
      const suite = one(v, 'suite') as CryptoSuite;
      if (!CRYPTO_SUITES.includes(suite)) throw new CliUsageError(`--suite: 应为 intl 或 gm / expected intl or gm, got ${suite}`);
      const batch = one(v, 'batch', false);
      if (batch && !/^[1-9]\d{0,5}$/.test(batch)) throw new CliUsageError(`--batch: 应为正整数 / expected a positive integer, got ${batch}`);
      // the embedded database belongs to one process: its reseal runs with the server stopped
      if (env.hosted) throw new CliUsageError('请先停止服务再重新加密内嵌数据库 / stop the server before resealing the embedded database');
      const opened = await openApp({ ...env.config, cryptoSuite: suite }, { poolSize: 3, skipCryptoCheck: true });
      try {
        const { db, keyring } = opened.app;
        if (v.prepare) {
          const state = await beginReseal(db, keyring);
          return {
            json: { prepared: Boolean(state), reseal: state },
            text: state ? `reseal prepared: ${state.from.suite}/${state.from.fingerprint} -> ${state.to.suite}/${state.to.fingerprint}; restart the nodes with the target settings, then run it without --prepare` : 'data already in the target suite and key',
          };
        }
        const reseal = () =>
          runReseal(db, keyring, {
            batchSize: batch ? Number(batch) : undefined,
            onBatch: (p) => void env.io.stderr.write(`${p.table}: ${p.rows} rows read, ${p.changed} rewritten\n`),
          });
        // two reseals at once would race on the progress record; the embedded database has one process
        const held = opened.handle.kind === 'postgres' ? await resealStore.exclusive(db, reseal) : { value: await reseal() };
        if (!held) throw new CryptoMismatchError('crypto.reseal_running', '另一个重新加密进程正在运行；请等待其完成（yitong crypto status 查看进度）。\nAnother reseal is running; wait for it to finish (see yitong crypto status).');
        const r = held.value;
        const next = opened.app.keyring.previousFingerprint ? ' Restart the nodes with the new key as YITONG_MASTER_KEY (and no YITONG_NEW_MASTER_KEY).' : '';
        return {
          json: r as unknown as Record<string, unknown>,
          text: r.alreadyDone ? 'data already in the target suite and key' : `resealed ${r.changed} of ${r.rows} rows: ${r.from.suite}/${r.from.fingerprint} -> ${r.to.suite}/${r.to.fingerprint}.${next}`,
        };
      } finally {
        await opened.close();
      }
    },
  },
};

async function sealedCounts(db: Parameters<typeof resealStore.countForms>[0]): Promise<Record<string, { v1: number; g1: number }>> {
  const out: Record<string, { v1: number; g1: number }> = {};
  for (const t of SEALED_TABLES) for (const c of t.sealed) out[`${t.table}.${c.column}`] = await resealStore.countForms(db, t.table, c.column);
  return out;
}
