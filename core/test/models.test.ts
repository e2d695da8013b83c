import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Address, AddressError, Connection, Notes, Transaction } from '../src/index.js'

const connection = () =>
  new Connection({ remoteIp: '192.0.2.7', remotePort: 40000, localIp: '127.0.0.1', localPort: 25 })
const addr = (text: string) => Address.parse(text)

describe('Transaction recipients', () => {
  it('removeRecipient drops every equal recipient and says how many went', () => {
    const t = new Transaction(connection().id)
    t.addRecipient(addr('<a@example.com>'))
    t.addRecipient(addr('<b@example.com>'))
    t.addRecipient(addr('<A@EXAMPLE.com>'))
    t.addRecipient(addr('<c@example.com>'))
    expect(t.removeRecipient(addr('<a@example.com>'))).toBe(2)
    expect(t.recipients.map((r) => r.address)).toEqual(['b@example.com', 'c@example.com'])
    expect(t.removeRecipient(addr('<nobody@example.com>'))).toBe(0)
    expect(t.recipients).toHaveLength(2)
  })

  it('removeRecipient takes a path or a bare mailbox as text', () => {
    const t = new Transaction(connection().id)
    t.setRecipients([addr('<a@example.com>'), addr('<b@example.com>'), addr('<postmaster>')])
    expect(t.removeRecipient('<b@example.com>')).toBe(1)
    expect(t.removeRecipient('a@example.com')).toBe(1)
    expect(t.removeRecipient('postmaster')).toBe(1)
    expect(t.recipients).toEqual([])
    expect(() => t.removeRecipient('not an address')).toThrow(AddressError)
  })

  it('size is 0 until DATA has ended, then the message size', () => {
    const t = new Transaction(connection().id)
    expect(t.size).toBe(0)
    t.body = { size: 1234, headerSize: 100, stream: () => Readable.from([]) }
    expect(t.size).toBe(1234)
  })
})

describe('notes are safe for any key', () => {
  const hostile = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']

  it.each([
    ['Connection', () => connection().notes],
    ['Transaction', () => new Transaction('c1').notes],
    ['Address', () => addr('<a@example.com>').notes],
  ])('%s notes keep __proto__, constructor and friends as ordinary keys', (_what, make) => {
    const notes: Notes = make()
    expect(notes.has('constructor')).toBe(false)
    expect(notes.get('__proto__')).toBeUndefined()
    for (const key of hostile) notes.set(key, `value of ${key}`)
    for (const key of hostile) expect(notes.string(key)).toBe(`value of ${key}`)
    expect(notes.size).toBe(hostile.length)
    expect(Object.getPrototypeOf(notes)).toBe(Notes.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    notes.set('__proto__', { polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(notes.flag('__proto__')).toBe(true)
    const copy = notes.copy()
    notes.delete('constructor')
    expect(copy.string('constructor')).toBe('value of constructor')
    expect(notes.has('constructor')).toBe(false)
  })

  it('a connection and its transactions keep separate notes', () => {
    const c = connection()
    const t = new Transaction(c.id)
    c.notes.set('constructor', 'connection')
    t.notes.set('constructor', 'transaction')
    expect(c.notes.value<string>('constructor')).toBe('connection')
    expect(t.notes.value<string>('constructor')).toBe('transaction')
  })
})
