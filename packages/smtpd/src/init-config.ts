/**
 * `postern init DIR`: a working example config — accept mail for localhost and example.com,
 * deliver each message into a Maildir under DIR.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export function exampleConfigFiles(maildir: string): Record<string, string> {
  return {
    plugins: [
      '# One plugin per line: name arg arg …  (qpsmtpd format; order is hook order)',
      '# rcpt_ok accepts recipients at the hosts in rcpthosts; it must be the last rcpt plugin.',
      'rcpt_ok',
      '# queue/maildir writes each message into a Maildir (fsync before the 250).',
      `queue/maildir ${maildir}`,
      '',
    ].join('\n'),
    rcpthosts: '# Domains we accept mail for\nlocalhost\nexample.com\n',
    me: 'localhost\n',
    listen: '127.0.0.1:2525\n',
    loglevel: '# 0 emerg … 4 warn … 6 info … 7 debug\n6\n',
    databytes: '26214400\n',
    spool_dir: 'spool\n',
  }
}

/** Writes the example config into `dir/config` (the Maildir goes to `dir/Maildir`). */
export function writeExampleConfig(dir: string): string {
  const configDir = path.join(dir, 'config')
  if (existsSync(path.join(configDir, 'plugins')))
    throw new Error(`${configDir}/plugins exists; not overwriting`)
  mkdirSync(configDir, { recursive: true })
  for (const [name, text] of Object.entries(exampleConfigFiles(path.resolve(dir, 'Maildir')))) {
    writeFileSync(path.join(configDir, name), text)
  }
  return configDir
}
