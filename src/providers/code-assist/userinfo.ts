import type { UpstreamFetch } from '../http.ts';

/**
 * The signed-in account's e-mail from Google's userinfo endpoint. Only names the account
 * in `llm-mux accounts`, so a failure leaves it out rather than failing the login.
 */
export async function fetchGoogleEmail(url: string, accessToken: string, fetch: UpstreamFetch): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { email?: unknown };
    return typeof body.email === 'string' && body.email !== '' ? body.email : undefined;
  } catch {
    return undefined;
  }
}
