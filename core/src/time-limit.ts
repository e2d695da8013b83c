/**
 * Time limits for work a hook waits on (a store call, a delivery), shorter than the hook's own
 * timeout, so the plugin can still answer with its own policy before the dispatcher gives up.
 *
 * Both use a plain setTimeout: Node 20's `AbortSignal.any([…, AbortSignal.timeout(ms)])` holds
 * the timeout signal weakly, and after a garbage collection it never fires.
 */

/** Thrown by withDeadline when time runs out or the signal aborts first. */
export class DeadlineError extends Error {
  override name = 'DeadlineError'
}

/**
 * Settles like `work`, or rejects with a DeadlineError after `ms` or when `signal` aborts.
 * `what` names the work in the message: `store did not answer within 2000 ms`.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  signal?: AbortSignal,
  what = 'store',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (why: string) => {
      cleanup()
      reject(new DeadlineError(why))
    }
    const timer = setTimeout(() => stop(`${what} did not answer within ${ms} ms`), ms)
    const onAbort = () => stop(`hook aborted while waiting for the ${what}`)
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

export interface DeadlineSignal {
  readonly signal: AbortSignal
  /** Stops the timer and unhooks from the outer signal (call when the work is over). */
  done(): void
}

/**
 * An AbortSignal that aborts after `ms` (reason: a DOMException named TimeoutError with
 * `message`) or when `outer` aborts (with its reason): client gone, hook over.
 */
export function deadlineSignal(
  outer: AbortSignal,
  ms: number,
  message = `took longer than ${ms} ms`,
): DeadlineSignal {
  const controller = new AbortController()
  const onAbort = () => controller.abort(outer.reason)
  if (outer.aborted) {
    onAbort()
    return { signal: controller.signal, done() {} }
  }
  const timer = setTimeout(() => controller.abort(new DOMException(message, 'TimeoutError')), ms)
  outer.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer)
      outer.removeEventListener('abort', onAbort)
    },
  }
}
