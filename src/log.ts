// Structured JSON logs on stderr, so that a command's --json output on stdout stays one clean
// object. Personal data never goes in raw: mask it before logging.
import pino from 'pino';

export const logger = pino({
  level: 'info',
  base: { svc: 'yitong' },
  redact: {
    paths: ['password', '*.password', 'client_secret', '*.client_secret', 'authorization', '*.authorization', 'cookie', '*.cookie'],
    censor: '[redacted]',
  },
  timestamp: pino.stdTimeFunctions.isoTime,
}, pino.destination({ fd: 2, sync: true }));

export function setLogLevel(level: string): void {
  logger.level = level;
}
