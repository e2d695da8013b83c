import { createSocket } from 'node:dgram'
import { createDnsResolver, DnsError } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { startDelayProxy, startStubDns } from '../src/dns-stub.js'
import { serveUdp } from '../src/udp-server.js'

/** Sends one datagram to `port` and resolves with the first answer. */
function ask(port: number, text: string): Promise<string> {
  const client = createSocket('udp4')
  return new Promise((resolve) => {
    client.once('message', (answer) => {
      client.close()
      resolve(answer.toString())
    })
    client.send(text, port, '127.0.0.1')
  })
}

/** The code a failed A lookup through `server` gives. */
async function failure(server: string, timeout: number): Promise<string> {
  const dns = createDnsResolver({ servers: [server], timeout })
  const err = await dns.resolve4('example.test').catch((e: unknown) => e)
  expect(err).toBeInstanceOf(DnsError)
  return (err as DnsError).code
}

describe('serveUdp', () => {
  it('listens on a free loopback port, counts datagrams, and runs onClose before closing', async () => {
    let closed = 0
    const udp = await serveUdp(
      (msg, from, socket) => socket.send(`echo ${msg}`, from.port, from.address),
      () => closed++,
    )
    expect(udp.server).toBe(`127.0.0.1:${udp.port}`)
    expect(await ask(udp.port, 'one')).toBe('echo one')
    expect(await ask(udp.port, 'two')).toBe('echo two')
    expect(udp.queries).toBe(2)
    await udp.close()
    expect(closed).toBe(1)
  })
})

describe('DNS stubs', () => {
  it('servfail answers every query with SERVFAIL; blackhole never answers', async () => {
    const servfail = await startStubDns('servfail')
    const blackhole = await startStubDns('blackhole')
    try {
      expect(await failure(servfail.server, 1000)).toBe('ESERVFAIL')
      expect(await failure(blackhole.server, 200)).toBe('ETIMEOUT')
      expect(servfail.queries).toBeGreaterThan(0)
      expect(blackhole.queries).toBeGreaterThan(0)
    } finally {
      await servfail.close()
      await blackhole.close()
    }
  })

  it('the delay proxy forwards to its upstream and answers late', async () => {
    const servfail = await startStubDns('servfail')
    const proxy = await startDelayProxy(servfail.server, 100)
    try {
      // Late: a client that waits less than the delay gets no answer; one that waits longer does.
      expect(await failure(proxy.server, 30)).toBe('ETIMEOUT')
      expect(await failure(proxy.server, 1000)).toBe('ESERVFAIL')
      expect(proxy.queries).toBe(servfail.queries)
    } finally {
      await proxy.close()
      await servfail.close()
    }
  })
})
