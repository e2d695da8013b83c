import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { clamdInstream, dotStuff } from '../src/index.js'

async function through(t: NodeJS.ReadWriteStream, chunks: (string | Buffer)[]): Promise<Buffer> {
  const out: Buffer[] = []
  const s = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c))).pipe(t)
  for await (const c of s) out.push(c as Buffer)
  return Buffer.concat(out)
}

describe('dotStuff', () => {
  it('stuffs dots at line starts and ends with CRLF', async () => {
    expect((await through(dotStuff(), ['.a\r\nb\r\n..c\r\n.'])).toString()).toBe('..a\r\nb\r\n...c\r\n..\r\n')
  })

  it('turns bare LF and bare CR into CRLF before stuffing (no smuggling downstream)', async () => {
    const out = (await through(dotStuff(), ['body\n.\r\nMAIL FROM:<x@y>\r.\r\n'])).toString()
    expect(out).toBe('body\r\n..\r\nMAIL FROM:<x@y>\r\n..\r\n')
    expect(out).not.toMatch(/\r\n\.\r\n/)
  })

  it('gives the same bytes whatever the chunk boundaries', async () => {
    const text = 'a\r\n.b\r\n\r\n.\r\nx\ry\n..z'
    const whole = await through(dotStuff(), [text])
    for (let cut = 1; cut < text.length; cut++) {
      expect(await through(dotStuff(), [text.slice(0, cut), text.slice(cut)])).toEqual(whole)
    }
    expect(await through(dotStuff(), text.split(''))).toEqual(whole)
  })
})

describe('clamdInstream', () => {
  it('prefixes chunks with their length and ends with a zero length', async () => {
    const out = await through(clamdInstream(4), ['abcdefghij'])
    expect(out).toEqual(
      Buffer.concat([
        Buffer.from([0, 0, 0, 4]),
        Buffer.from('abcd'),
        Buffer.from([0, 0, 0, 4]),
        Buffer.from('efgh'),
        Buffer.from([0, 0, 0, 2]),
        Buffer.from('ij'),
        Buffer.alloc(4),
      ]),
    )
  })
})
