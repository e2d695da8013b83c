import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '@postern/test-peers'

/** A self-signed certificate for localhost, made with the openssl program. */
export function makeCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
    ],
    {
      stdio: 'ignore',
    },
  )
  return { cert, key }
}

/** A config dir with the given files. */
export function configDir(files: Record<string, string>): string {
  const dir = tempDir('smtpd-cfg')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

export function maildirMessages(maildir: string): string[] {
  try {
    return readdirSync(path.join(maildir, 'new')).map((f) =>
      readFileSync(path.join(maildir, 'new', f), 'utf8'),
    )
  } catch {
    return []
  }
}
