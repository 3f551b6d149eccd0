import type { StreamEvent } from '../../src/core/response.ts';

/** Generated ids (a start or call the upstream gave no id) → stable placeholders, for comparing runs. */
export function withStableIds(events: readonly StreamEvent[]): StreamEvent[] {
  const names = new Map<string, string>();
  const stable = (id: string) => {
    if (!names.has(id)) names.set(id, `id#${names.size}`);
    return names.get(id)!;
  };
  return events.map((event) => {
    if (event.type === 'start' || (event.type === 'block_start' && event.kind === 'tool_call')) return { ...event, id: stable(event.id) };
    return event;
  });
}
