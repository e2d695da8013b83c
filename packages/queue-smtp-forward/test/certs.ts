/**
 * A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI
 * (EC P-256: milliseconds). Undefined outside CI when openssl is missing (the caller skips).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { requirePeer } from '@postern/test-peers'

export interface TestCerts {
  caFile: string
  ca: string
  cert: string
  key: string
}

export function makeCerts(dir: string): TestCerts | undefined {
  const openssl = requirePeer('openssl', 'openssl', '/usr/bin/openssl')
  if (!openssl) return undefined
  const f = (n: string) => path.join(dir, n)
  const run = (...args: string[]) => execFileSync(openssl, args, { stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=Postern Test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  )
  run('req', ...ec, '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'))
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.pem'),
  )
  return {
    caFile: f('ca.pem'),
    ca: readFileSync(f('ca.pem'), 'utf8'),
    cert: readFileSync(f('server.pem'), 'utf8'),
    key: readFileSync(f('server.key'), 'utf8'),
  }
}
