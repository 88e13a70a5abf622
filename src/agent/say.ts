// The agent's own log lines (registered, claimed, dropped, drained…): text for a person by default, or with
// `--log-format json` one pino JSON object per line (level, time, msg, the runner id and, for a line about a task
// or session, its full id and attempt) for a log collector. Task logs go to the server, not here (log-shipper.ts).
import { pino } from 'pino';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a line is about beyond its words: the full id of the task or session (the text shows a short one). */
export interface SayContext {
  taskId?: string;
  attempt?: number;
}

export type Say = (line: string, context?: SayContext) => void;

export function createSay(
  format: LogFormat,
  runnerId: string,
  out: { write(text: string): void } = process.stdout,
): Say {
  if (format === 'text') return (line) => out.write(`${new Date().toISOString()} ${line}\n`);
  const log = pino({}, out).child({ runnerId });
  return (line, context) => log.info(context ?? {}, line);
}
