/** Keys whose values are secrets wherever they appear in the config. */
const SECRET_KEYS = new Set(['api-keys', 'api-key', 'secret', 'token']);

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
      if (!SECRET_KEYS.has(key)) return [key, redactSecrets(entry)];
      if (typeof entry === 'string') return [key, maskSecret(entry)];
      if (Array.isArray(entry)) return [key, entry.map((item) => (typeof item === 'string' ? maskSecret(item) : item))];
      return [key, entry];
    }),
  );
}
