/**
 * Bare CR and LF in BDAT content. Chunks are counted, not dot-framed (RFC 3030), but a line still
 * ends only in CRLF (RFC 5321 §2.3.8), so BDAT gets the DATA parser's bare_lf policy: a bare CR
 * or LF is recorded (the message is refused after LAST), or, when normalizing, completed to CRLF.
 * A CR at the end of a chunk is decided by the first byte of the next one.
 */

const CR = 0x0d
const LF = 0x0a
const CR_BYTE = Buffer.from([CR])
const LF_BYTE = Buffer.from([LF])

export class LineEndChecker {
  /** A bare CR or LF was seen. */
  bare = false
  /** The previous chunk ended in a CR (a CRLF may be split across chunks). */
  #pendingCr = false

  constructor(
    /** Complete each bare CR or LF to CRLF instead of passing it through. */
    private readonly normalize: boolean,
  ) {}

  /** Checks one piece of content; returns the bytes to store, in order. */
  push(chunk: Buffer): Buffer[] {
    const n = chunk.length
    if (!n) return []
    const crBefore = this.#pendingCr
    this.#pendingCr = false
    const out: Buffer[] = []
    // Where the bytes not yet handed out start (normalize mode splits the chunk at bare ends).
    let start = 0
    if (crBefore && chunk[0] !== LF) this.#bare(out, LF_BYTE)
    let cr = chunk.indexOf(CR)
    let lf = chunk.indexOf(LF)
    while (cr >= 0 || lf >= 0) {
      if (lf >= 0 && (cr < 0 || lf < cr)) {
        if (lf === 0 ? !crBefore : chunk[lf - 1] !== CR) {
          // A bare LF: a CR goes in front of it.
          if (this.normalize) out.push(chunk.subarray(start, lf))
          start = lf
          this.#bare(out, CR_BYTE)
        }
        lf = chunk.indexOf(LF, lf + 1)
      } else {
        if (cr === n - 1) this.#pendingCr = true
        else if (chunk[cr + 1] !== LF) {
          // A bare CR: an LF goes after it.
          if (this.normalize) out.push(chunk.subarray(start, cr + 1))
          start = cr + 1
          this.#bare(out, LF_BYTE)
        }
        cr = chunk.indexOf(CR, cr + 1)
      }
    }
    if (!this.normalize) return [chunk]
    if (start < n) out.push(chunk.subarray(start))
    return out
  }

  /** The content ended: a CR still waiting for its LF was bare. Returns the bytes to store. */
  end(): Buffer[] {
    const out: Buffer[] = []
    if (this.#pendingCr) this.#bare(out, LF_BYTE)
    this.#pendingCr = false
    return out
  }

  #bare(out: Buffer[], missing: Buffer): void {
    this.bare = true
    if (this.normalize) out.push(missing)
  }
}
