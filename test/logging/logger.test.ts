import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../src/logging/logger.ts';

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR|DEBUG) /;

describe('Logger', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('prints and appends lines in one batch, soon after they are logged, and keeps them for the management API at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-mux-logger-'));
    const file = join(dir, 'llm-mux.log');
    const batches: string[] = [];
    const logger = new Logger({ level: 'info', bufferLines: 100, file, write: (text) => batches.push(text) });

    logger.info('request', { model: 'm', status: 200, stream: false, account: undefined });
    logger.warn('upstream unreachable', { error: 'connect ECONNREFUSED' });
    logger.debugLog('not at info');
    expect(logger.lines().map((line) => line.message)).toEqual(['request', 'upstream unreachable']);
    expect(batches).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches).toHaveLength(1);
    const printed = batches[0]!.split('\n');
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(LINE);
    expect(printed[0]).toMatch(/INFO  request model=m status=200 stream=false$/);
    expect(printed[1]).toMatch(/WARN  upstream unreachable error=connect ECONNREFUSED$/);
    expect(printed[2]).toBe('');

    logger.error('boom');
    logger.flush();
    expect(batches).toHaveLength(2);
    expect(batches[1]).toMatch(/ERROR boom\n$/);
    // The file gets the same lines, appended in order, readable only by its owner.
    await expect.poll(() => readFileSync(file, 'utf8')).toBe(batches.join(''));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('writes what was logged under the old settings before taking new ones', () => {
    const before: string[] = [];
    const after: string[] = [];
    const logger = new Logger({ level: 'info', bufferLines: 100, write: (text) => before.push(text) });
    logger.info('first');
    logger.configure({ level: 'info', bufferLines: 100, write: (text) => after.push(text) });
    logger.info('second');
    logger.flush();
    expect(before.join('')).toMatch(/ first\n$/);
    expect(after.join('')).toMatch(/ second\n$/);
  });
});
