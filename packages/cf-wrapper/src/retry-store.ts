/**
 * The refusals a deferred mixed result leaves for the client's retry: one record per
 * (sender, recipient), read once at RCPT. Kept in the core Store, so they survive a restart
 * and are shared between nodes when the store is Redis.
 */
import type { EnhancedCode, RefusalCode, Store } from '@postern/core'

export interface RetryRefusal {
  readonly code: RefusalCode
  readonly message: readonly string[]
  readonly enhanced?: EnhancedCode
}

export function retryKey(sender: string, recipient: string): string {
  // NUL cannot occur in an address, so the two parts cannot be confused.
  return `retry:${sender.toLowerCase()}\0${recipient.toLowerCase()}`
}

export async function saveRefusal(
  store: Store,
  key: string,
  refusal: RetryRefusal,
  ttlMs: number,
): Promise<void> {
  await store.set(key, JSON.stringify(refusal), { ttl: ttlMs })
}

/** The refusal stored for this pair, removed as it is read; undefined if none or unreadable. */
export async function takeRefusal(store: Store, key: string): Promise<RetryRefusal | undefined> {
  const text = await store.get(key)
  if (text === undefined) return undefined
  await store.delete(key)
  try {
    const v = JSON.parse(text) as Partial<RetryRefusal>
    if (typeof v.code !== 'number' || !Array.isArray(v.message)) return undefined
    return v as RetryRefusal
  } catch {
    return undefined
  }
}
