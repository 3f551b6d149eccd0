/** Keys whose values are secrets wherever they appear in the config. */
const SECRET_KEYS = new Set(['api-keys', 'api-key', 'secret', 'token']);

/** Keys whose values are URLs, which may carry a password (`http://user:pass@proxy:3128`). */
const URL_KEYS = new Set(['proxy-url', 'base-url']);

/** Shows enough of a secret to tell keys apart, never enough to use one. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}

/** A deep copy of a config value with every secret masked. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => {
      if (URL_KEYS.has(key) && typeof entry === 'string') return [key, redactUrl(entry)];
      if (!SECRET_KEYS.has(key)) return [key, redactSecrets(entry)];
      if (typeof entry === 'string') return [key, maskSecret(entry)];
      if (Array.isArray(entry)) return [key, entry.map((item) => (typeof item === 'string' ? maskSecret(item) : item))];
      return [key, entry];
    }),
  );
}

/** The URL with its password masked; a user name alone is often a token, so it is masked then. */
function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password) url.password = '****';
  else if (url.username) url.username = '****';
  else return text;
  return url.href;
}
