/**
 * A streaming walk over a message's MIME parts. Each part's header is parsed (mailsplit) and
 * handed to the visitor; bodies flow through and are dropped, so a 50 MB attachment costs no
 * more memory than a short note. The number of parts and the size of each part's header are
 * bounded: past them the walk fails with MimeLimitError, which callers should treat as a
 * message they cannot vouch for, never as a clean one.
 */
import { type Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit'

export interface MimePart {
  /** Lower-case type/subtype; `text/plain` when the part has no Content-Type (RFC 2045 §5.2). */
  readonly contentType: string
  /** True when Content-Type was absent or unparsable and the default was used. */
  readonly defaulted: boolean
  /** Lower-case charset parameter, or undefined. */
  readonly charset: string | undefined
  /** `multipart/*` containers have children instead of a body. */
  readonly multipart: boolean
  /** 0 for the message itself, 1 for its parts, and so on. */
  readonly depth: number
  /** Content-Transfer-Encoding, lower case, or undefined. */
  readonly encoding: string | undefined
  /** The filename from Content-Disposition or Content-Type, decoded, or undefined. */
  readonly filename: string | undefined
  /** The raw (still encoded) values of a header field of this part, in order. */
  headerValues(name: string): string[]
}

export class MimeLimitError extends Error {
  override readonly name = 'MimeLimitError'
}

export interface WalkOptions {
  signal?: AbortSignal
  /** Most parts (default 1000). */
  maxParts?: number
  /** Most header bytes of one part (default 256 KiB). */
  maxHeaderSize?: number
}

function depthOf(node: MimeNode): number {
  let depth = 0
  for (let p = node.parentNode; p; p = p.parentNode) depth++
  return depth
}

function toPart(node: MimeNode): MimePart {
  const headers = node.headers
  const declared = headers ? headers.hasHeader('content-type') : false
  const parent = node.parentNode
  // mailsplit guesses a missing type from the filename, else text/plain; in a multipart/digest
  // the default is message/rfc822 (RFC 2046 §5.1.5).
  const fallback = !declared && parent && parent.multipart === 'digest' ? 'message/rfc822' : 'text/plain'
  const valid = node.contentType && /^[^/\s]+\/[^/\s]+$/.test(node.contentType) ? node.contentType : undefined
  const type = !declared && fallback === 'message/rfc822' ? undefined : valid
  return {
    contentType: type ?? fallback,
    defaulted: !declared || valid === undefined,
    charset: node.charset ? node.charset.toLowerCase().trim() || undefined : undefined,
    multipart: Boolean(node.multipart),
    depth: depthOf(node),
    encoding: node.encoding || undefined,
    filename: node.filename || undefined,
    headerValues(name) {
      if (!headers) return []
      return headers.get(name.toLowerCase()).map((line) => line.slice(line.indexOf(':') + 1).trim())
    },
  }
}

/** Calls `visit` for every part, in message order; resolves when the whole message was read. */
export async function walkParts(
  source: Readable,
  visit: (part: MimePart) => void,
  options: WalkOptions = {},
): Promise<void> {
  const splitter = new Splitter({
    // Look inside attached messages too (unless declared `attachment`): a forwarded message
    // can carry the same parts a direct one can.
    defaultInlineEmbedded: true,
    maxChildNodes: options.maxParts ?? 1000,
    maxHeadSize: options.maxHeaderSize ?? 256 * 1024,
  })
  const sink = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _enc, done) {
      try {
        if (chunk.type === 'node') visit(toPart(chunk))
        done()
      } catch (err) {
        done(err as Error)
      }
    },
  })
  try {
    await pipeline(source, splitter, sink, options.signal ? { signal: options.signal } : {})
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'EMAXLEN') throw new MimeLimitError((err as Error).message)
    throw err
  }
}
