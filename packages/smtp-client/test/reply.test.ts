import { describe, expect, it } from 'vitest'
import { decide } from '../src/outcome.js'
import { makeReply, ReplyParser } from '../src/reply.js'

describe('ReplyParser', () => {
  it('reads multi-line replies split across chunks and splits off enhanced codes', () => {
    const p = new ReplyParser()
    expect(p.push(Buffer.from('250-mx.example\r\n250-PIPE'))).toEqual([])
    const [ehlo] = p.push(Buffer.from('LINING\r\n250 \r\n550 5.1.1 <b@x> no such user\r\n'))
    expect(ehlo).toEqual({ code: 250, lines: ['mx.example', 'PIPELINING', ''] })
    expect(p.push(Buffer.from('250\r\n'))).toEqual([{ code: 250, lines: [''] }])
    const p2 = new ReplyParser()
    expect(p2.push(Buffer.from('550-5.1.1 first\r\n550 5.1.1 second\r\n'))).toEqual([
      { code: 550, enhanced: '5.1.1', lines: ['first', 'second'] },
    ])
  })

  it('ignores an enhanced code whose class does not match the reply', () => {
    expect(makeReply(451, ['5.1.1 odd'])).toEqual({ code: 451, lines: ['5.1.1 odd'] })
  })

  it('refuses garbage, changing codes and endless lines', () => {
    expect(() => new ReplyParser().push(Buffer.from('HTTP/1.1 400 Bad\r\n'))).toThrow(/malformed/)
    expect(() => new ReplyParser().push(Buffer.from('250-a\r\n251 b\r\n'))).toThrow(/changed/)
    expect(() => new ReplyParser().push(Buffer.alloc(10000, 0x41))).toThrow(/too long/)
  })
})

describe('decide', () => {
  const r550 = makeReply(550, ['5.1.1 User unknown'])
  const r452 = makeReply(452, ['4.2.2 Mailbox full'])
  const r250 = makeReply(250, ['2.0.0 Ok'])

  it('OK only when every recipient was delivered', () => {
    expect(decide([{ recipient: '<a@x>', status: 'delivered', reply: r250 }]).result).toBe('ok')
  })

  it('passes a single shared refusal through unchanged', () => {
    expect(
      decide([
        { recipient: '<a@x>', status: 'permanent', reply: r550 },
        { recipient: '<b@x>', status: 'permanent', reply: r550 },
      ]),
    ).toEqual({ result: 'permanent', code: 550, enhanced: '5.1.1', lines: ['User unknown'] })
  })

  it('prefers a temporary failure (retry) over a permanent one and lists each recipient', () => {
    const d = decide([
      { recipient: '<a@x>', status: 'delivered', reply: r250 },
      { recipient: '<b@x>', status: 'permanent', reply: r550 },
      { recipient: '<c@x>', status: 'temporary', reply: r452 },
    ])
    expect(d.result).toBe('temporary')
    expect(d.code).toBe(452)
    expect(d.enhanced).toBe('4.2.2')
    expect(d.lines).toEqual([
      'Mailbox full',
      '<a@x>: delivered',
      '<b@x>: 550 5.1.1 User unknown',
      '<c@x>: 452 4.2.2 Mailbox full',
    ])
  })

  it('names held recipients, and maps unusual codes to 451/554', () => {
    const d = decide([
      { recipient: '<a@x>', status: 'held' },
      { recipient: '<b@x>', status: 'permanent', reply: makeReply(501, ['bad address']) },
    ])
    expect(d).toMatchObject({ result: 'permanent', code: 554, enhanced: '5.0.0' })
    expect(d.lines).toEqual([
      'bad address',
      '<a@x>: not sent (another recipient failed)',
      '<b@x>: 501 bad address',
    ])
  })
})

describe('decide: text from the next hop', () => {
  it('is bounded and stripped of control characters before it reaches our client', () => {
    const d = decide([
      {
        recipient: '<a@x>',
        status: 'permanent',
        reply: makeReply(550, [`5.7.1 bad\x1b[31m\x00 ${'z'.repeat(1000)}`]),
      },
    ])
    expect(d.lines[0]).toMatch(/^bad\?\[31m\? z+\.\.\.$/)
    expect(d.lines[0]!.length).toBeLessThan(410)
  })
})
