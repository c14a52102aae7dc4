import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level name: trace, debug, info, warn, error, fatal, silent. */
  level?: string;
  /**
   * Human-readable lines instead of JSON. Default: when standard output is a
   * terminal.
   */
  pretty?: boolean;
  /** Fields on every line, such as `{ process: 'registry' }`. */
  base?: Record<string, unknown>;
}

/**
 * Creates the root logger of a process: structured JSON lines on standard
 * output, or readable lines on a terminal. Modules take a child of it with a
 * `component` field; library code never creates one of its own.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const level = options.level ?? 'info';
  if (!pretty) {
    return pino({ level, base: options.base ?? null });
  }
  return pino({
    level,
    base: options.base ?? null,
    transport: {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'HH:MM:ss.l' },
    },
  });
}

/** A logger that writes nothing: the default of library code. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
