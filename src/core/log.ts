// The core's logger port: what the engine and its loops need to write a log line. pino satisfies it (the server
// passes its one pino logger in), so the core never imports a logging library, nor anything of HTTP.
export interface Log {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** A core without a logger (tools, tests that do not read the log). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
