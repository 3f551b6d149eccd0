/** Ollama's `created_at` (RFC 3339, nanoseconds) → Unix seconds; now when it is missing or unreadable. */
export function unixSeconds(createdAt: string | undefined): number {
  const ms = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

export function createdAt(unixMs: number): string {
  return new Date(unixMs).toISOString();
}
