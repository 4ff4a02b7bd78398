// `yitong crypto ...`: the crypto suite, key fingerprints and re-sealing (GB/T 39786 key management).
import { openApp } from '../bootstrap.ts';
import type { Command } from '../cli/commands.ts';
import { metaStore } from '../db/meta-store.ts';
import { META, readReseal } from './startup.ts';

export const cryptoCommands: Record<string, Command> = {
  'crypto status': {
    summary: { 'zh-CN': '查看密码套件、密钥指纹与重新加密进度', en: 'show the crypto suite, key fingerprints and reseal progress' },
    usage: 'yitong crypto status',
    options: {},
    run: async (env) => {
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
        };
        const lines = [
          `suite (CRYPTO_SUITE):          ${status.suite}`,
          `master key fingerprint:        ${status.masterKeyFingerprint}${status.previousMasterKeyFingerprint ? ` (rotating from ${status.previousMasterKeyFingerprint})` : ''}`,
          `audit MAC key id:              ${status.auditKeyId}`,
          `data sealed with:              ${status.data.suite ?? '-'} / ${status.data.masterKeyFingerprint ?? '-'}`,
          reseal
            ? `reseal in progress:            ${reseal.from.suite}/${reseal.from.fingerprint} -> ${reseal.to.suite}/${reseal.to.fingerprint}, ${reseal.done.length} columns done${reseal.cursor ? `, at ${reseal.cursor.entry}` : ''}`
            : 'reseal:                        none in progress',
        ];
        return { json: status as unknown as Record<string, unknown>, text: lines.join('\n') };
      } finally {
        await opened?.close();
      }
    },
  },
};
