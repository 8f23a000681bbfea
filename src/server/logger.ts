import pino, { type LoggerOptions } from 'pino';
import type { Config } from './config.ts';

/**
 * Structured logs that never carry patient data: URLs lose their query string (searches hold
 * names), and credentials are redacted.
 */
export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        // Paths that carry a secret (a calendar feed's token, a patient's booking link) are logged without it.
        url: req.url?.split('?')[0]?.replace(/^(\/calendar\/feeds|\/book\/manage|\/api\/public\/booking\/manage)\/[^/]+/, '$1/[redacted]'),
        remoteAddress: req.ip,
      }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>): pino.Logger {
  return pino(loggerOptions(config));
}
