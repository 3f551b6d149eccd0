import { afterEach } from 'vitest';

type Cleanup = () => Promise<void> | void;

/**
 * What a test starts (fake servers, proxies, temporary directories) is registered here and
 * stopped after the test, the latest first, whatever the test's outcome.
 */
export function cleanupAfterEach(): (cleanup: Cleanup) => void {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
