import type { UpstreamFetch } from './http.ts';
import { keyCheckTarget } from './endpoints.ts';
import type { Provider } from './provider.ts';

export type KeyVerdict =
  | { kind: 'valid' }
  /** The provider refused the key itself. */
  | { kind: 'rejected'; status: number; detail: string }
  /** Any other answer: the key may be fine, the check did not say. */
  | { kind: 'failed'; url: string; status: number; detail: string }
  | { kind: 'unreachable'; url: string; detail: string };

const CHECK_TIMEOUT_MS = 15_000;

/** Asks the provider whether `key` works. */
export async function verifyApiKey(provider: Pick<Provider, 'id' | 'protocol' | 'baseUrl'>, key: string, fetch: UpstreamFetch): Promise<KeyVerdict> {
  const { url, headers } = keyCheckTarget(provider.id, provider.protocol, provider.baseUrl, key);
  let response: Response;
  try {
    response = await fetch(url, { method: 'GET', headers, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'unreachable', url, detail: cause?.code ?? cause?.message ?? (error as Error).message };
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { kind: 'valid' };
  const detail = errorMessage(text);
  // Google answers a bad key with 400 API_KEY_INVALID rather than 401.
  if (response.status === 401 || response.status === 403 || (response.status === 400 && text.includes('API_KEY_INVALID'))) {
    return { kind: 'rejected', status: response.status, detail };
  }
  return { kind: 'failed', url, status: response.status, detail };
}

/** The message of an error body (`error.message` in every provider's shape), on one short line. */
function errorMessage(text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const candidate = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof candidate === 'string') message = candidate;
  } catch {
    // Not JSON: the text itself.
  }
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
