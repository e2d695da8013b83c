import path from 'node:path'
import { DENYSOFT } from '@postern/core'
import { loadInstalled, testAddress } from '@postern/testing'
import { expect, it } from 'vitest'

// A qpsmtpd 1.0 config names the plugin `badmailfrom`: core finds it through the
// `postern.aliases` field of the installed package (its built dist).
it('is found as badmailfrom through the installed package and runs from its build', async () => {
  const h = await loadInstalled(path.resolve(import.meta.dirname, '..'), {
    config: { plugins: 'badmailfrom reject_type temp\n', badmailfrom: '@spam.example\n' },
  })
  try {
    expect(h.host.plugins[0]).toMatchObject({
      name: 'check_badmailfrom',
      packageName: '@postern/check-badmailfrom',
    })
    const s = h.session()
    s.begin()
    await h.first('mail', s, testAddress('x@spam.example'), new Map())
    const r = await h.first('rcpt', s, testAddress('a@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
  } finally {
    await h.close()
  }
})
