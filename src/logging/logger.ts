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
    this.buffer = this.buffer.slice(-options.bufferLines);
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
    return this.buffer.length > this.options.bufferLines ? this.buffer.slice(-this.options.bufferLines) : this.buffer;
  }

  clear(): void {
    this.buffer = [];
  }

  private log(level: LogLevel, message: string, fields?: LogLine['fields']): void {
    if (!this.isEnabled(level)) return;
    const line: LogLine = { time: isoNow(), level, message };
    if (fields) line.fields = fields;
    this.buffer.push(line);
    // Trimmed in halves, not a shift per line: shifting a long array copies it, on every request.
    if (this.buffer.length >= 2 * this.options.bufferLines) this.buffer = this.buffer.slice(-this.options.bufferLines);
    const text = formatLine(line);
    this.options.write?.(text);
    const file = this.options.file;
    if (file) this.fileQueue = this.fileQueue.then(() => appendFile(file, `${text}\n`, { mode: 0o600 })).catch(() => undefined);
  }
}

let lastMs = 0;
let lastIso = '';

/** The current time as ISO 8601, formatted once per millisecond (under load many lines share one). */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

const LEVEL_LABEL: Record<LogLevel, string> = { error: 'ERROR', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG' };

export function formatLine(line: LogLine): string {
  // A plain loop: this runs once per request.
  let text = `${line.time} ${LEVEL_LABEL[line.level]} ${line.message}`;
  for (const key in line.fields) {
    const value = line.fields[key];
    if (value !== undefined) text += ` ${key}=${String(value)}`;
  }
  return text;
}
