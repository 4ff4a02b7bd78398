// Development sender: the code goes to the log (phone masked). Refused in production by the
// configuration (src/config/citizen.ts).
import { logger } from '../log.ts';
import { maskPhone } from '../identity/mask.ts';
import type { SmsSender } from './types.ts';

export function logSender(): SmsSender {
  return {
    name: 'log',
    async send(phone, code) {
      logger.info({ phone: maskPhone(phone), sms_code: code }, 'SMS code (SMS_PROVIDER=log: not sent, written here)');
      return { ok: true, messageId: null };
    },
  };
}
