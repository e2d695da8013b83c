import type { Writable } from 'node:stream'

/**
 * Resolves when `stream` has written its queue: at once if nothing waits, else at 'drain', or at
 * 'close' (a destroyed or failed stream never drains; its writer learns the error elsewhere).
 */
export function whenDrained(stream: Writable): Promise<void> {
  if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}
