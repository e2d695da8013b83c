/**
 * A MessageBody that reads as the original plus a signature. The `message` and `body` views
 * carry the signature; `raw` stays the bytes as received, and `path` the spool file as
 * received (scanners that read the file see the message without it). `size` stays the size
 * received, as the core defines it. A `remove` method of the engine's body (spool cleanup) is
 * passed through, so replacing the body does not leak the spool file.
 */
import type { Readable } from 'node:stream'
import type { MessageBody } from '@postern/core'
import type { SignaturePlan } from './signature.js'
import { AppendTransform, InsertBeforeCloseTransform } from './transforms.js'

type Plan = Exclude<SignaturePlan, { kind: 'skip' }>

export class SignedBody implements MessageBody {
  readonly remove?: () => Promise<void>

  constructor(
    readonly inner: MessageBody,
    private readonly plan: Plan,
  ) {
    const remove = (inner as { remove?: unknown }).remove
    if (typeof remove === 'function') this.remove = () => Promise.resolve(remove.call(inner))
  }

  get size(): number {
    return this.inner.size
  }

  get headerSize(): number {
    return this.inner.headerSize
  }

  get path(): string | undefined {
    return this.inner.path
  }

  stream(part: 'message' | 'body' | 'raw' = 'message'): Readable {
    const source = this.inner.stream(part)
    if (part === 'raw') return source
    const transform =
      this.plan.kind === 'append'
        ? new AppendTransform(this.plan.bytes)
        : new InsertBeforeCloseTransform(this.plan.boundary, this.plan.bytes, part === 'message')
    source.on('error', (err) => transform.destroy(err))
    return source.pipe(transform)
  }
}
