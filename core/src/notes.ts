/**
 * Free-form notes on a connection, transaction or address. Keys often come from client input
 * (header names, addresses), so this is a Map: `__proto__` and `constructor` are ordinary keys.
 */
export class Notes extends Map<string, unknown> {
  /** Typed read: the caller says what it stored. */
  value<T>(key: string): T | undefined {
    return super.get(key) as T | undefined
  }

  /** A string note, or undefined when absent or not a string. */
  string(key: string): string | undefined {
    const v = super.get(key)
    return typeof v === 'string' ? v : undefined
  }

  /** True when the note is set to anything other than undefined, null, false, 0 or ''. */
  flag(key: string): boolean {
    return Boolean(super.get(key))
  }

  /** A shallow copy (values are shared), e.g. to snapshot notes before changing them. */
  copy(): Notes {
    return new Notes(this)
  }
}
