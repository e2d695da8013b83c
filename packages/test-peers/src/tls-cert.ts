/**
 * A self-signed certificate for localhost, made with the openssl program (EC P-256: fast), for
 * servers under test that offer STARTTLS or implicit TLS. Undefined outside CI when openssl is
 * missing (the caller skips); in CI a missing openssl fails.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { requirePeer } from './process.js'

export function selfSignedCert(dir: string): { cert: string; key: string } | undefined {
  const openssl = requirePeer('openssl', 'openssl', '/usr/bin/openssl')
  if (!openssl) return undefined
  mkdirSync(dir, { recursive: true })
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  execFileSync(
    openssl,
    ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert],
    {
      stdio: 'ignore',
    },
  )
  return { cert, key }
}
