// The server process's one logger: pino, one JSON object per line on stdout. The HTTP app (its request lines), the
// core's domain events and the background loops all write through it, so one level and one format hold for all.
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.ts';

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    destination,
  );
}
