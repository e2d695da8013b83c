/**
 * Bounds a store call by the plugin's `store_timeout` and the hook's own signal, so a store that
 * hangs makes the plugin apply its store-down policy before the hook timeout answers 451.
 */
export class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError'
}

export function withDeadline<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (why: string) => {
      cleanup()
      reject(new StoreTimeoutError(why))
    }
    const timer = setTimeout(() => stop(`store did not answer within ${ms} ms`), ms)
    const onAbort = () => stop('hook aborted while waiting for the store')
    const cleanup = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    work.then(
      (v) => {
        cleanup()
        resolve(v)
      },
      (err: unknown) => {
        cleanup()
        reject(err instanceof Error ? err : new Error(String(err)))
      },
    )
  })
}
