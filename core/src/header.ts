/**
 * The message header as plugins see it: an ordered list of fields. Names are case-insensitive;
 * values keep their folding so an unchanged header is written back byte for byte.
 */

export interface HeaderField {
  /** The name as written. */
  readonly name: string
  /** The raw value after the colon, folding (CRLF + WSP) included, without the final CRLF. */
  readonly raw: string
}

/** Removes folding and the single leading space after the colon. */
export function unfold(raw: string): string {
  return raw
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/^[ \t]+/, '')
    .replace(/[ \t]+$/, '')
}

const NAME_RE = /^[\x21-\x39\x3b-\x7e]+$/
/** A CR or LF that is not part of a fold (CRLF followed by a space or tab): one pass, no copy. */
const BARE_LINE_BREAK = /\r(?!\n[ \t])|(?<!\r)\n|\n(?![ \t])/

/** A line of the block that is not a field (no colon, bad name): kept where it was. */
interface Malformed {
  readonly malformed: string
}

export class Header {
  readonly #fields: HeaderField[] = []
  /**
   * Every line in order, fields and malformed lines alike, so the block is written back as it
   * came. Undefined while there are no malformed lines (nearly always): then it is #fields.
   */
  #lines: (HeaderField | Malformed)[] | undefined

  /** Parses a header block (CRLF or LF line ends; the blank line may be present or not). */
  static parse(block: string): Header {
    const header = new Header()
    const lines = block.split(/\r?\n/)
    let name: string | undefined
    let value = ''
    const flush = () => {
      if (name !== undefined) {
        const field = { name, raw: value }
        header.#fields.push(field)
        header.#lines?.push(field)
      }
      name = undefined
      value = ''
    }
    for (const line of lines) {
      if (line === '') break
      if ((line[0] === ' ' || line[0] === '\t') && name !== undefined) {
        value += `\r\n${line}`
        continue
      }
      flush()
      const colon = line.indexOf(':')
      const candidate = colon > 0 ? line.slice(0, colon).trimEnd() : ''
      if (candidate && NAME_RE.test(candidate)) {
        name = candidate
        value = line.slice(colon + 1)
      } else {
        header.#lines ??= [...header.#fields]
        header.#lines.push({ malformed: line })
      }
    }
    flush()
    return header
  }

  /** Every field, in order. */
  get fields(): readonly HeaderField[] {
    return this.#fields
  }

  /** Lines of the original block that were not fields. */
  get malformed(): readonly string[] {
    const out: string[] = []
    for (const l of this.#lines ?? []) if ('malformed' in l) out.push(l.malformed)
    return out
  }

  /** Unfolded values of every field with this name, in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase()
    const out: string[] = []
    for (const f of this.#fields) if (f.name.toLowerCase() === lower) out.push(unfold(f.raw))
    return out
  }

  /** The unfolded value of the first (or `index`th) field with this name. */
  get(name: string, index = 0): string | undefined {
    return this.getAll(name)[index]
  }

  has(name: string): boolean {
    const lower = name.toLowerCase()
    return this.#fields.some((f) => f.name.toLowerCase() === lower)
  }

  count(name: string): number {
    const lower = name.toLowerCase()
    let n = 0
    for (const f of this.#fields) if (f.name.toLowerCase() === lower) n++
    return n
  }

  /**
   * Adds a field. By default it is prepended (trace and result headers go on top, RFC 5321
   * §4.4); pass `'append'` to add at the end.
   */
  add(name: string, value: string, where: 'prepend' | 'append' = 'prepend'): void {
    if (!NAME_RE.test(name)) throw new TypeError(`Bad header field name: ${JSON.stringify(name)}`)
    if (BARE_LINE_BREAK.test(value)) throw new TypeError('Header value has a line break that is not folding')
    const field = { name, raw: ` ${value}` }
    if (where === 'prepend') {
      this.#fields.unshift(field)
      this.#lines?.unshift(field)
    } else {
      this.#fields.push(field)
      this.#lines?.push(field)
    }
  }

  /** Deletes every field with this name, or only its `index`th occurrence. Returns how many went. */
  delete(name: string, index?: number): number {
    const lower = name.toLowerCase()
    let seen = 0
    let removed = 0
    for (let i = 0; i < this.#fields.length; i++) {
      if (this.#fields[i]!.name.toLowerCase() !== lower) continue
      if (index === undefined || seen === index) {
        this.#unlist(this.#fields[i]!)
        this.#fields.splice(i--, 1)
        removed++
      }
      seen++
    }
    return removed
  }

  /** Renames every field with this name (e.g. Authentication-Results → Original-Authentication-Results). */
  rename(from: string, to: string): number {
    if (!NAME_RE.test(to)) throw new TypeError(`Bad header field name: ${JSON.stringify(to)}`)
    const lower = from.toLowerCase()
    let n = 0
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!
      if (f.name.toLowerCase() === lower) {
        const renamed = { name: to, raw: f.raw }
        this.#fields[i] = renamed
        if (this.#lines) this.#lines[this.#lines.indexOf(f)] = renamed
        n++
      }
    }
    return n
  }

  /** The header block with CRLF line ends, ending with the blank line that separates the body. */
  toString(): string {
    let out = ''
    for (const l of this.#lines ?? this.#fields)
      out += 'malformed' in l ? `${l.malformed}\r\n` : `${l.name}:${l.raw}\r\n`
    return `${out}\r\n`
  }

  /** Drops a field from the ordered lines (when there are malformed ones to keep in place). */
  #unlist(field: HeaderField): void {
    if (!this.#lines) return
    const i = this.#lines.indexOf(field)
    if (i >= 0) this.#lines.splice(i, 1)
  }
}
