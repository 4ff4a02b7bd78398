// The SMS sender the configuration names (SMS_PROVIDER), or null when SMS is off.
import type { SmsConfig } from '../config/citizen.ts';
import type { SmsSender } from './types.ts';
import { logSender } from './log.ts';
import { aliyunSender } from './aliyun.ts';
import { tencentSender } from './tencent.ts';

export type { SmsSender, SmsResult, SmsFailureKind } from './types.ts';

export function createSmsSender(cfg: SmsConfig): SmsSender | null {
  switch (cfg.provider) {
    case 'log':
      return logSender();
    case 'aliyun':
      return aliyunSender(cfg);
    case 'tencent':
      return tencentSender(cfg);
    case 'none':
      return null;
  }
}
