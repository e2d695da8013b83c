/**
 * Escapes Redis glob characters (`*`, `?`, `[`, `]`, `\`) so a SCAN MATCH pattern built from a
 * key prefix matches that prefix literally: a prefix like `rate:[x]` must not become a class.
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
