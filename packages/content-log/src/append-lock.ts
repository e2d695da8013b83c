/**
 * Appends to one file from many sessions at once must not interleave: each file gets a queue,
 * and an entry is written only after the previous one for that file is complete. The queue is
 * per process; see the README for several processes.
 */
const tails = new Map<string, Promise<void>>()

export function serialised(file: string, write: () => Promise<void>): Promise<void> {
  const previous = tails.get(file) ?? Promise.resolve()
  const next = previous.then(write, write)
  const tail = next.catch(() => {})
  tails.set(file, tail)
  void tail.then(() => {
    if (tails.get(file) === tail) tails.delete(file)
  })
  return next
}
