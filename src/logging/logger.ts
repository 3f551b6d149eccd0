import { appendFile } from 'node:fs/promises';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogLine {
  time: string;
  level: LogLevel;
  message: string;
  fields?: Record<string, string | number | boolean | undefined>;
}

export interface LoggerOptions {
  level: LogLevel;
  bufferLines: number;
  file?: string;
  /** Where lines are printed; `serve` prints to stderr, tests pass a no-op. */
  write?: (line: string) => void;
}

/**
 * Structured log lines, kept in a bounded in-memory buffer for GET /v0/management/logs
 * and optionally appended to a file. Callers pass only non-secret fields: no headers,
 * keys or bodies ever reach a log line.
 */
export class Logger {
  private buffer: LogLine[] = [];
  private debugEnabled = false;
  private fileQueue: Promise<void> = Promise.resolve();

  constructor(private options: LoggerOptions) {}

  configure(options: LoggerOptions): void {
    this.options = options;
    if (this.buffer.length > options.bufferLines) this.buffer = this.buffer.slice(-options.bufferLines);
  }

  get debug(): boolean {
    return this.debugEnabled;
  }

  set debug(enabled: boolean) {
    this.debugEnabled = enabled;
  }

  isEnabled(level: LogLevel): boolean {
    return this.debugEnabled || RANK[level] <= RANK[this.options.level];
  }

  error(message: string, fields?: LogLine['fields']): void {
    this.log('error', message, fields);
  }
  warn(message: string, fields?: LogLine['fields']): void {
    this.log('warn', message, fields);
  }
  info(message: string, fields?: LogLine['fields']): void {
    this.log('info', message, fields);
  }
  debugLog(message: string, fields?: LogLine['fields']): void {
    this.log('debug', message, fields);
  }

  lines(): readonly LogLine[] {
    return this.buffer;
  }

  clear(): void {
    this.buffer = [];
  }

  private log(level: LogLevel, message: string, fields?: LogLine['fields']): void {
    if (!this.isEnabled(level)) return;
    const line: LogLine = { time: new Date().toISOString(), level, message, ...(fields ? { fields } : {}) };
    this.buffer.push(line);
    if (this.buffer.length > this.options.bufferLines) this.buffer.shift();
    const text = formatLine(line);
    this.options.write?.(text);
    const file = this.options.file;
    if (file) this.fileQueue = this.fileQueue.then(() => appendFile(file, `${text}\n`, { mode: 0o600 })).catch(() => undefined);
  }
}

export function formatLine(line: LogLine): string {
  const fields = line.fields
    ? Object.entries(line.fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${String(value)}`)
        .join('')
    : '';
  return `${line.time} ${line.level.toUpperCase().padEnd(5)} ${line.message}${fields}`;
}
