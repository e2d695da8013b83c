// qpsmtpd's old name loads the built, installed package.
import path from 'node:path'
import { DENYSOFT } from '@postern/core'
import { loadInstalled, testAddress } from '@postern/testing'
import { expect, it } from 'vitest'

it('loads as denysoft_greylist from an installed package and greylists', async () => {
  const h = await loadInstalled(path.resolve(import.meta.dirname, '..'), {
    config: { plugins: 'denysoft_greylist black_timeout 300\n' },
  })
  try {
    expect(h.host.plugins[0]).toMatchObject({ name: 'greylisting', packageName: '@postern/greylisting' })
    const s = h.session({ remoteIp: '192.0.2.1' })
    s.begin({ sender: 'a@example.org' })
    const r = await h.first('rcpt', s, testAddress('b@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.2.0' })
    expect(r.message.join(' ')).toContain('Please try again in 5m.')
  } finally {
    await h.close()
  }
})
