import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { selfSignedCert, tempDir } from '@postern/test-peers'

/** A self-signed certificate for localhost (test-peers' selfSignedCert; openssl is a CI peer). */
export function makeCert(dir: string): { cert: string; key: string } {
  const made = selfSignedCert(dir)
  if (!made) throw new Error('openssl is not installed (scripts/peers/install.sh)')
  return made
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
