/**
 * `*` wildcards without regular expressions: `image/*`, `*-8859-*`. Matching is a greedy scan
 * of the literal pieces, linear in the value for each piece, so no input can make it slow.
 */
export function globMatch(pattern: string, value: string): boolean {
  const pieces = pattern.split('*')
  if (pieces.length === 1) return pattern === value
  const first = pieces[0]!
  const last = pieces[pieces.length - 1]!
  if (!value.startsWith(first) || value.length < first.length + last.length) return false
  if (!value.endsWith(last)) return false
  let at = first.length
  const end = value.length - last.length
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!
    const found = value.indexOf(piece, at)
    if (found < 0 || found + piece.length > end) return false
    at = found + piece.length
  }
  return true
}
