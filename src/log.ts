// Structured JSON logs. Personal data never goes in raw: mask it before logging.
import pino from 'pino';

export const logger = pino({
  level: 'info',
  base: { svc: 'yitong' },
  redact: {
    paths: ['password', '*.password', 'client_secret', '*.client_secret', 'authorization', '*.authorization', 'cookie', '*.cookie'],
    censor: '[redacted]',
  },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export function setLogLevel(level: string): void {
  logger.level = level;
}
