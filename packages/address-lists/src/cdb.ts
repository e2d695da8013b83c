/**
 * Reads D. J. Bernstein's constant databases: qpsmtpd consults `morercpthosts.cdb` and
 * `morerelayclients.cdb` (built by qmail-newmrh and friends) as maps. A file is read whole and
 * re-read when its size or mtime changes. `buildCdb` writes the format, for tests and tools.
 */
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'

/** The cdb hash: h = ((h << 5) + h) ^ c over the key bytes, from 5381, unsigned 32-bit. */
export function cdbHash(key: Uint8Array): number {
  let h = 5381
  for (const c of key) h = ((((h << 5) >>> 0) + h) ^ c) >>> 0
  return h
}

/** Looks a key up in a cdb image; undefined when absent or when the image is malformed. */
export function cdbGet(image: Buffer, key: string | Uint8Array): Buffer | undefined {
  const k = typeof key === 'string' ? Buffer.from(key) : key
  if (image.length < 2048) return undefined
  const h = cdbHash(k)
  const table = (h & 255) * 8
  const pos = image.readUInt32LE(table)
  const slots = image.readUInt32LE(table + 4)
  if (slots === 0) return undefined
  let slot = (h >>> 8) % slots
  for (let tries = 0; tries < slots; tries++) {
    const at = pos + slot * 8
    if (at + 8 > image.length) return undefined
    const hash = image.readUInt32LE(at)
    const rec = image.readUInt32LE(at + 4)
    if (rec === 0) return undefined
    if (hash === h && rec + 8 <= image.length) {
      const klen = image.readUInt32LE(rec)
      const dlen = image.readUInt32LE(rec + 4)
      const end = rec + 8 + klen + dlen
      if (end <= image.length && klen === k.length && image.subarray(rec + 8, rec + 8 + klen).equals(k))
        return image.subarray(rec + 8 + klen, end)
    }
    slot = (slot + 1) % slots
  }
  return undefined
}

/** Writes a cdb image from key/value pairs (values default to ''). */
export function buildCdb(entries: Iterable<readonly [string, string?]>): Buffer {
  const records: Buffer[] = []
  const tables: { hash: number; pos: number }[][] = Array.from({ length: 256 }, () => [])
  let pos = 2048
  for (const [key, value = ''] of entries) {
    const k = Buffer.from(key)
    const v = Buffer.from(value)
    const head = Buffer.alloc(8)
    head.writeUInt32LE(k.length, 0)
    head.writeUInt32LE(v.length, 4)
    const rec = Buffer.concat([head, k, v])
    const hash = cdbHash(k)
    tables[hash & 255]!.push({ hash, pos })
    records.push(rec)
    pos += rec.length
  }
  const header = Buffer.alloc(2048)
  const hashTables: Buffer[] = []
  tables.forEach((list, i) => {
    const slots = list.length * 2
    header.writeUInt32LE(pos, i * 8)
    header.writeUInt32LE(slots, i * 8 + 4)
    const t = Buffer.alloc(slots * 8)
    for (const e of list) {
      let s = (e.hash >>> 8) % slots
      while (t.readUInt32LE(s * 8 + 4) !== 0) s = (s + 1) % slots
      t.writeUInt32LE(e.hash, s * 8)
      t.writeUInt32LE(e.pos, s * 8 + 4)
    }
    hashTables.push(t)
    pos += t.length
  })
  return Buffer.concat([header, ...records, ...hashTables])
}

/**
 * A cdb file in the config directory, or in the qmail control directory when the config
 * directory has none (the same fallback core applies to flat files). Missing means empty.
 */
export class CdbFile {
  #image: Buffer | undefined
  #stamp = ''
  #file: string | undefined

  constructor(
    readonly configDir: string,
    readonly name: string,
    readonly qmailControlDir: string | undefined = path.join(process.env.QMAIL ?? '/var/qmail', 'control'),
  ) {}

  /** The path read, or undefined when neither directory has the file. */
  get file(): string | undefined {
    this.#refresh()
    return this.#file
  }

  get(key: string): Buffer | undefined {
    this.#refresh()
    return this.#image ? cdbGet(this.#image, key) : undefined
  }

  has(key: string): boolean {
    return this.get(key) !== undefined
  }

  #refresh(): void {
    for (const dir of [this.configDir, this.qmailControlDir]) {
      if (!dir) continue
      const file = path.join(dir, this.name)
      let stamp: string
      try {
        const st = statSync(file)
        if (!st.isFile()) continue
        stamp = `${file}:${st.size}:${st.mtimeMs}`
      } catch {
        continue
      }
      if (stamp !== this.#stamp) {
        try {
          this.#image = readFileSync(file)
        } catch {
          this.#image = undefined
        }
        this.#stamp = stamp
        this.#file = file
      }
      return
    }
    this.#image = undefined
    this.#stamp = ''
    this.#file = undefined
  }
}
