/**
 * A streaming walk over a message's MIME parts. Each part's header is parsed (mailsplit) and
 * handed to the visitor; bodies flow through and are dropped, so a 50 MB attachment costs no
 * more memory than a short note. Every attached message (`message/rfc822`, `message/global`),
 * inline or `attachment`, in any transfer encoding, is walked into as well: a reader opens it
 * with one click, so a part inside it is a part of the message. The number of parts, the size
 * of each part's header and how deeply messages nest are bounded: past them the walk fails
 * with MimeLimitError, which callers should treat as a message they cannot vouch for, never as
 * a clean one.
 */
import { type Readable, type Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit'
import { EmbeddedMessage } from './embedded-message.js'
import { carriesMessage, type MimePart, toPart } from './mime-part.js'
import { transferDecoder } from './transfer-decoding.js'

export type { MimePart } from './mime-part.js'

export class MimeLimitError extends Error {
  override readonly name = 'MimeLimitError'
}

export interface WalkOptions {
  signal?: AbortSignal
  /** Most parts, counting those of attached messages (default 1000). */
  maxParts?: number
  /** Most header bytes of one part (default 256 KiB). */
  maxHeaderSize?: number
  /** Most attached messages inside one another (default 10). */
  maxNesting?: number
}

interface Walk {
  readonly visit: (part: MimePart) => void
  readonly signal: AbortSignal | undefined
  readonly maxParts: number
  readonly maxHeaderSize: number
  readonly maxNesting: number
  parts: number
}

/** Calls `visit` for every part, in message order; resolves when the whole message was read. */
export async function walkParts(
  source: Readable,
  visit: (part: MimePart) => void,
  options: WalkOptions = {},
): Promise<void> {
  const walk: Walk = {
    visit,
    signal: options.signal,
    maxParts: options.maxParts ?? 1000,
    maxHeaderSize: options.maxHeaderSize ?? 256 * 1024,
    maxNesting: options.maxNesting ?? 10,
    parts: 0,
  }
  await walkMessage(walk, source, transferDecoder(undefined), 0, 0)
}

/**
 * Walks one message: the top-level one (`nesting` 0) or the body of an attached one, whose
 * parts start at `baseDepth`.
 */
async function walkMessage(
  walk: Walk,
  source: Readable,
  decoder: Transform,
  nesting: number,
  baseDepth: number,
): Promise<void> {
  // mailsplit is left to see attached messages as plain leaves; they are opened here, so that
  // every one is, whatever its disposition or encoding, and nesting can be counted.
  const splitter = new Splitter({
    ignoreEmbedded: true,
    maxChildNodes: walk.maxParts,
    maxHeadSize: walk.maxHeaderSize,
  })
  let open: EmbeddedMessage | undefined

  async function closeOpen(): Promise<void> {
    const embedded = open
    open = undefined
    if (embedded) await embedded.end()
  }

  function visitPart(node: MimeNode): void {
    if (++walk.parts > walk.maxParts) throw new MimeLimitError(`more than ${walk.maxParts} MIME parts`)
    const part = toPart(node, baseDepth)
    walk.visit(part)
    if (part.multipart || !carriesMessage(part)) return
    if (nesting >= walk.maxNesting)
      throw new MimeLimitError(`attached messages nested more than ${walk.maxNesting} deep`)
    const decoderOfPart = transferDecoder(part.encoding)
    open = new EmbeddedMessage(node, (body) =>
      walkMessage(walk, body, decoderOfPart, nesting + 1, part.depth + 1),
    )
  }

  async function take(chunk: SplitterChunk): Promise<void> {
    if (chunk.type === 'node') {
      // The previous part's attached message is walked to its end first: parts are visited
      // in message order.
      await closeOpen()
      visitPart(chunk)
    } else if (chunk.type === 'body' && open && chunk.node === open.node) {
      await open.write(chunk.value)
    }
  }

  const sink = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _enc, done) {
      take(chunk).then(
        () => done(),
        (err: unknown) => done(err as Error),
      )
    },
    final(done) {
      closeOpen().then(
        () => done(),
        (err: unknown) => done(err as Error),
      )
    },
  })
  try {
    await pipeline(source, decoder, splitter, sink, walk.signal ? { signal: walk.signal } : {})
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'EMAXLEN') throw new MimeLimitError((err as Error).message)
    throw err
  } finally {
    if (open) await open.abandon()
  }
}
