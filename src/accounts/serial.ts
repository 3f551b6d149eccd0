/**
 * Read-modify-write of a shared file must not interleave: two set() calls that each read
 * the old content and write their own version would lose one update. Calls are chained per
 * key (the file path), process-wide, so even two store objects on one file take turns.
 */
const tails = new Map<string, Promise<unknown>>();

export function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const result = previous.then(task, task);
  const tail = result.catch(() => {});
  tails.set(key, tail);
  // Forget the chain once it is idle, so the map does not grow with every file ever touched.
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return result;
}
