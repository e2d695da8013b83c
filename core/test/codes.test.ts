import { describe, expect, it } from 'vitest'
import {
  codeName,
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  deny,
  dsn,
  isEnhancedCode,
  messageLines,
  OK,
  ok,
  parseCode,
} from '../src/index.js'

describe('return codes', () => {
  it('keeps qpsmtpd values and names', () => {
    expect([OK, DENY, DENYSOFT, DENY_DISCONNECT]).toEqual([900, 901, 902, 903])
    expect(codeName(DENYSOFT)).toBe('DENYSOFT')
    expect(parseCode('denysoft')).toBe(DENYSOFT)
    expect(parseCode('DENYHARD')).toBe(DENY_DISCONNECT)
    expect(parseCode('901')).toBe(DENY)
    expect(parseCode('nope')).toBeUndefined()
  })

  it('verdict helpers carry text and enhanced codes', () => {
    expect(ok()).toEqual({ code: OK })
    expect(deny('no', '5.7.1')).toEqual({ code: DENY, message: 'no', enhanced: '5.7.1' })
    expect(messageLines('one\ntwo\r\nthree')).toEqual(['one', 'two', 'three'])
    expect(messageLines(['a', 'b\nc'])).toEqual(['a', 'b', 'c'])
  })

  it('DSN helpers give RFC 3463 codes whose class follows the code', () => {
    expect(dsn.relayingDenied()).toEqual({ code: DENY, message: 'Relaying denied', enhanced: '5.7.1' })
    expect(dsn.noSuchUser().enhanced).toBe('5.1.1')
    expect(dsn.tooManyHops().enhanced).toBe('5.4.6')
    expect(dsn.messageTooBig().enhanced).toBe('5.3.4')
    expect(dsn.relayingDenied('later', DENYSOFT)).toEqual({
      code: DENYSOFT,
      message: 'later',
      enhanced: '4.7.1',
    })
    for (const helper of Object.values(dsn)) expect(isEnhancedCode(helper().enhanced!)).toBe(true)
  })
})
