/**
 * Session affinity: a conversation keeps the account that served its last turn, so the
 * upstream's prompt cache for it stays warm there (caches are per account).
 */
import { isRecord } from '../core/json.ts';
import { createHash } from 'node:crypto';

/** Bindings kept at most; beyond that the least recently used go first. */
const MAX_BINDINGS = 10_000;

interface Binding {
  accountId: string;
  expiresAt: number;
}

/**
 * Conversation key → account id, each binding living `ttlMs` after its last use (sliding,
 * like the upstream caches it exists for). A use re-inserts the key at the end of the Map,
 * so insertion order is least-recently-used order and, with one TTL and a clock that does
 * not go back, expiry order too: pruning only ever looks at the front.
 */
export class AffinityTable {
  private readonly bindings = new Map<string, Binding>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxBindings = MAX_BINDINGS,
  ) {}

  get(key: string, now: number): string | undefined {
    const binding = this.bindings.get(key);
    if (binding && binding.expiresAt > now) return binding.accountId;
    this.bindings.delete(key);
    return undefined;
  }

  /** Binds (or re-binds) the key and restarts its TTL. */
  set(key: string, accountId: string, now: number): void {
    this.bindings.delete(key);
    this.bindings.set(key, { accountId, expiresAt: now + this.ttlMs });
    for (const [oldest, binding] of this.bindings) {
      if (binding.expiresAt > now && this.bindings.size <= this.maxBindings) break;
      this.bindings.delete(oldest);
    }
  }
}

/**
 * The conversation key of a request, from the parsed client body of any inbound protocol
 * (or a CanonicalRequest), undefined when there is nothing to key on:
 * 1. Anthropic `metadata.user_id`: Claude Code puts its session id in it;
 * 2. OpenAI `prompt_cache_key`: the client's own name for the cache to hit;
 * 3. else a hash of the system prompt and the first user message: every later turn of a
 *    conversation resends both unchanged. Only their text is hashed, so a moving
 *    `cache_control` marker or a re-encoded image does not change the key. Two
 *    conversations opening alike share a key, which is harmless: they share the cached
 *    prefix too.
 * Keys are prefixed by source so the three kinds never collide.
 */
export function affinityKey(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const userId = isRecord(body.metadata) ? body.metadata.user_id : undefined;
  if (typeof userId === 'string' && userId !== '') return `user:${userId}`;
  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '') return `cache:${body.prompt_cache_key}`;
  const opening = openingText(body);
  if (opening === '') return undefined;
  return `prompt:${createHash('sha256').update(opening, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * The system prompt (Anthropic/canonical `system`, Responses `instructions`, Gemini
 * `systemInstruction`, Chat/Responses system and developer messages) and the first user
 * message (`messages`, `input`, `contents`; legacy `prompt`), as text.
 */
function openingText(body: Record<string, unknown>): string {
  const parts = [textOf(body.system ?? body.instructions ?? body.systemInstruction)];
  const list = body.messages ?? body.input ?? body.contents;
  if (typeof list === 'string') parts.push(list);
  else if (Array.isArray(list)) {
    for (const item of list) {
      if (!isRecord(item)) continue;
      if (item.role === 'system' || item.role === 'developer') parts.push(textOf(item.content));
      // Gemini lets a single-turn request leave out the user role.
      else if (item.role === 'user' || (item.role === undefined && item.type === undefined)) {
        parts.push(textOf(item.content ?? item.parts));
        break;
      }
    }
  } else parts.push(textOf(body.prompt));
  // Empty parts dropped: the same conversation keys alike whichever protocol carries it.
  return parts.filter((part) => part.trim() !== '').join('\u0000');
}

/** The text in a string, a part list or a part (`text`, nested `content` / `parts`); images count as nothing. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).filter((text) => text !== '').join('\n');
  if (!isRecord(value)) return '';
  if (typeof value.text === 'string') return value.text;
  return textOf(value.content ?? value.parts);
}
