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
  /** Where lines are printed, a batch of them at a time (each ends in a newline); `serve` prints to stderr, tests pass a no-op. */
  write?: (text: string) => void;
}

/** How long lines wait to be printed and appended together. */
const FLUSH_MS = 20;

/**
 * Structured log lines, kept in a bounded in-memory buffer for GET /v0/management/logs
 * and optionally appended to a file. Callers pass only non-secret fields: no headers,
 * keys or bodies ever reach a log line.
 *
 * Lines are formatted and written in batches, at most FLUSH_MS after they are logged (and
 * by flush()): under load the proxy logs a line per request, a write per line cost a
 * tenth of the request, and formatting each line among its request's own work 5% of it
 * (BENCHMARKS.md, Round 8).
 */
export class Logger {
  private buffer: LogLine[] = [];
  private debugEnabled = false;
  private fileQueue: Promise<void> = Promise.resolve();
  /** Lines logged since the last flush. */
  private pending: LogLine[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private options: LoggerOptions) {}

  configure(options: LoggerOptions): void {
    // Lines logged so far go where they were logged to.
    this.flush();
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
    if (!this.options.write && !this.options.file) return;
    this.pending.push(line);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Prints and appends the lines logged since the last flush. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    let text = '';
    for (const line of this.pending) text += `${formatLine(line)}\n`;
    this.pending = [];
    this.options.write?.(text);
    const file = this.options.file;
    if (file) this.fileQueue = this.fileQueue.then(() => appendFile(file, text, { mode: 0o600 })).catch(() => undefined);
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
