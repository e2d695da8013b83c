/**
 * One config value over HTTP: GET `<base><key>`, read at most `maxSize` bytes, and split the
 * body as a qpsmtpd config file (one value per line, `#` comments and blank lines dropped).
 */

export type FetchOutcome =
  | { readonly kind: 'found'; readonly lines: readonly string[] }
  | { readonly kind: 'missing' } // 404 or 410: this server has no such key
  | { readonly kind: 'error'; readonly reason: string }

export function configLines(text: string): string[] {
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line && !line.startsWith('#')) out.push(line)
  }
  return out
}

/** Reads the body, giving up past `max` bytes so a hostile server cannot fill memory. */
async function readCapped(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return ''
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (declared > max) {
    await res.body.cancel()
    return undefined
  }
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function fetchLines(
  base: URL,
  key: string,
  signal: AbortSignal,
  maxSize: number,
): Promise<FetchOutcome> {
  // Appended as qpsmtpd did (`$url$key`), encoded so `a/../b` or `a?b` cannot change which
  // resource is asked for.
  const url = new URL(base.href + encodeURIComponent(key))
  try {
    const res = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'text/plain' } })
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel()
      return { kind: 'missing' }
    }
    if (!res.ok) {
      await res.body?.cancel()
      return { kind: 'error', reason: `${url.href}: HTTP ${res.status}` }
    }
    const text = await readCapped(res, maxSize)
    if (text === undefined) return { kind: 'error', reason: `${url.href}: larger than ${maxSize} bytes` }
    return { kind: 'found', lines: configLines(text) }
  } catch (err) {
    const reason = signal.aborted ? 'aborted or timed out' : (err as Error).message
    return { kind: 'error', reason: `${url.href}: ${reason}` }
  }
}
