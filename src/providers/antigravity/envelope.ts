import { createHash, randomUUID } from 'node:crypto';

/**
 * A Gemini generateContent body → the envelope Antigravity sends (docs/providers.md §4):
 * its own identification next to the model and project, and the body with a session id
 * and without safetySettings, which the Antigravity backend does not take.
 */
export function antigravityRequest(body: Record<string, unknown>, target: { model: string; project?: string }): Record<string, unknown> {
  const request: Record<string, unknown> = { ...body, sessionId: conversationSessionId(body) };
  delete request.safetySettings;
  return {
    ...(target.project ? { project: target.project } : {}),
    model: target.model,
    userAgent: 'antigravity',
    requestType: 'agent',
    requestId: `agent-${randomUUID()}`,
    request,
  };
}

/**
 * The same id for every turn of one conversation, as the client keeps one session per
 * chat: derived from the conversation's first user content, which later turns repeat.
 */
export function conversationSessionId(body: Record<string, unknown>): string {
  const contents = Array.isArray(body.contents) ? (body.contents as unknown[]) : [];
  const first = contents.find((content) => (content as { role?: unknown } | null)?.role === 'user') ?? contents[0] ?? null;
  return createHash('sha256').update(JSON.stringify(first)).digest('hex').slice(0, 32);
}
