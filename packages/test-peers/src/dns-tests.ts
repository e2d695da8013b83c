/**
 * The DNS every DNS plugin test file sets up, in one call: the shared fixture (`startTestDns`:
 * dnsmasq with `TEST_DNS` plus its black hole and SERVFAIL stubs) started once for the file and
 * stopped after it, and resolvers pointed at it. Call it at the top level of a test file.
 */
import { createDnsResolver, type DnsResolver } from '@postern/core'
import { afterAll } from 'vitest'
import { startTestDns, type TestDns } from './dnsmasq.js'

export interface DnsTestSetup {
  /**
   * The running fixture; undefined when dnsmasq is not installed outside CI, so the file's DNS
   * suites skip with `describe.skipIf(!peer)` (in CI a missing dnsmasq fails instead).
   */
  readonly peer: TestDns | undefined
  /**
   * A resolver asking `server` (default: dnsmasq; `peer.blackHole` or `peer.servfail` for the
   * failure paths) that gives up after `timeout` ms. Only for suites that run with a peer.
   */
  resolver(timeout?: number, server?: string): DnsResolver
}

/** Starts the shared test DNS for this file; `suite` names the tests skipped without dnsmasq. */
export async function useTestDns(suite: string): Promise<DnsTestSetup> {
  const peer = await startTestDns()
  if (!peer) console.warn(`dnsmasq is not installed: the ${suite} DNS tests are skipped`)
  afterAll(() => peer?.stop())
  return {
    peer,
    resolver(timeout = 2000, server = peer?.server) {
      if (!server) throw new Error('the test DNS is not running (dnsmasq is not installed)')
      return createDnsResolver({ servers: [server], timeout })
    },
  }
}
