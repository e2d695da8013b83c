import path from 'node:path'
import { loadInstalled } from '@postern/testing'
import { expect, it } from 'vitest'

// qpsmtpd 1.0 calls it `relay`: core finds it through the package's `postern.aliases` field.
it('is found as relay through the installed package and runs from its build', async () => {
  const h = await loadInstalled(path.resolve(import.meta.dirname, '..'), {
    config: { plugins: 'relay\n', relayclients: '192.0.2.\n' },
  })
  try {
    expect(h.host.plugins[0]).toMatchObject({ name: 'check_relay', packageName: '@postern/check-relay' })
    const s = h.session({ remoteIp: '192.0.2.55' })
    await h.first('connect', s)
    expect(s.connection.relayClient).toBe(true)
  } finally {
    await h.close()
  }
})
