/**
 * Socket reads arrive in fresh 64 KiB buffers that V8 frees only at its next GC, and a DATA
 * transfer allocates too little on the JS heap to trigger one: a 50 MB message left ~30 MB of
 * dead read buffers in the process for good (a bare Node socket server reading 50 MB does the
 * same). A young-generation GC (a scavenge, about 1 ms) every few MiB of one transfer frees
 * them as it goes, so a big message costs a few MiB whatever its size.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

/** Bytes of one transfer between two scavenges. */
const EVERY = 4 * 1024 * 1024

type Collect = (options: { type: 'minor' | 'major' }) => void
let collect: Collect | null | undefined

function gcFunction(): Collect | null {
  if (collect === undefined) {
    try {
      // `gc` exists only with --expose-gc; it is fetched from a fresh context and the flag put back.
      v8.setFlagsFromString('--expose-gc')
      collect = vm.runInNewContext('gc') as Collect
      v8.setFlagsFromString('--no-expose-gc')
    } catch {
      collect = null
    }
  }
  return collect
}

/**
 * Counts a transfer's bytes and scavenges every EVERY bytes. After a transfer that needed it, one
 * full GC: what outlived the scavenges (buffers in flight, promoted to the old generation) is
 * otherwise kept until V8 next runs one, which an idle server may not do for a long time.
 */
export class GcPacer {
  #since = 0
  #paced = false

  add(bytes: number): void {
    this.#since += bytes
    if (this.#since >= EVERY) {
      this.#since = 0
      this.#paced = true
      gcFunction()?.({ type: 'minor' })
    }
  }

  /** The transfer is over (stored or discarded). */
  done(): void {
    if (!this.#paced) return
    this.#paced = false
    gcFunction()?.({ type: 'major' })
  }
}
