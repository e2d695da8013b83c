/** What a plugin sees of one MIME part: its header, parsed by mailsplit, never its body. */
import type { MimeNode } from '@zone-eu/mailsplit'

export interface MimePart {
  /** Lower-case type/subtype; `text/plain` when the part has no Content-Type (RFC 2045 §5.2). */
  readonly contentType: string
  /** True when Content-Type was absent or unparsable and the default was used. */
  readonly defaulted: boolean
  /** Lower-case charset parameter, or undefined. */
  readonly charset: string | undefined
  /** `multipart/*` containers have children instead of a body. */
  readonly multipart: boolean
  /**
   * 0 for the message itself, 1 for its parts, and so on; an attached message's own header
   * is one deeper than the `message/rfc822` part that carries it.
   */
  readonly depth: number
  /** Content-Transfer-Encoding, lower case, or undefined. */
  readonly encoding: string | undefined
  /** The filename from Content-Disposition or Content-Type, decoded, or undefined. */
  readonly filename: string | undefined
  /** The raw (still encoded) values of a header field of this part, in order. */
  headerValues(name: string): string[]
}

/** Types whose body is a whole message of its own (RFC 2046 §5.2.1, RFC 6532 §3.5). */
export function carriesMessage(part: MimePart): boolean {
  return part.contentType === 'message/rfc822' || part.contentType === 'message/global'
}

function depthOf(node: MimeNode): number {
  let depth = 0
  for (let p = node.parentNode; p; p = p.parentNode) depth++
  return depth
}

/** `node` as a MimePart; `baseDepth` is the depth of the message `node` belongs to. */
export function toPart(node: MimeNode, baseDepth: number): MimePart {
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
    depth: baseDepth + depthOf(node),
    encoding: node.encoding || undefined,
    filename: node.filename || undefined,
    headerValues(name) {
      if (!headers) return []
      return headers.get(name.toLowerCase()).map((line) => line.slice(line.indexOf(':') + 1).trim())
    },
  }
}
