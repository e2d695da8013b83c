/**
 * Dovecot's LMTP server (Debian `dovecot-core` + `dovecot-lmtpd`) as a real final-delivery peer:
 * a config of its own in a temp dir (`dovecot -F -c`), LMTP on an ephemeral loopback port and on
 * a unix socket, users from a passwd-file, delivery into Maildirs under the temp dir.
 * As root, mail is written as nobody: the temp dirs are made traversable and the mail root
 * world-writable (sticky). Optional quota settings let a test make one mailbox fail at DATA.
 * Recipe: ../../../../shared/services/dovecot.sh (tried on this machine), with LMTP instead of IMAP.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { userInfo } from 'node:os'
import path from 'node:path'
import {
  freePort,
  inCI,
  type PeerProcess,
  requirePeer,
  startProcess,
  tempDir,
  waitForTcp,
} from './process.js'

export interface DovecotUser {
  /** Login and recipient address, e.g. `alice@example.com`. */
  name: string
  /** Extra userdb fields, e.g. `userdb_quota_rule=*:storage=1B`. */
  extra?: readonly string[]
}

export interface DovecotLmtpOptions {
  users: readonly DovecotUser[]
  /** Enable the quota plugin (rules come from each user's `userdb_quota_rule`). */
  quota?: boolean
  /** With quota: a full mailbox answers 4xx instead of 5xx (`quota_full_tempfail`). */
  quotaTempfail?: boolean
}

export interface DovecotLmtp extends PeerProcess {
  readonly port: number
  /** The LMTP unix socket. */
  readonly socketPath: string
  /** The Maildir of a user. */
  maildir(user: string): string
  /** The messages delivered to a user (files in new/ and cur/), in name order. */
  messages(user: string): string[]
  /** Dovecot's log, for failure messages. */
  log(): string
}

/**
 * The dovecot binary and its LMTP service, or undefined outside CI when they are not installed
 * or we are not root (the recipe needs root: the mail processes switch to nobody).
 */
export function dovecotBinary(): string | undefined {
  const bin = requirePeer('dovecot', '/usr/sbin/dovecot')
  const lmtp = requirePeer('dovecot lmtp', '/usr/lib/dovecot/lmtp')
  if (!bin || !lmtp) return undefined
  if (userInfo().uid !== 0) {
    if (inCI) throw new Error('the dovecot LMTP test peer needs root')
    return undefined
  }
  return bin
}

function waitForUnixSocket(socketPath: string, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs
  const attempt = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createConnection({ path: socketPath })
      s.once('connect', () => {
        s.destroy()
        resolve()
      })
      s.once('error', (err) => {
        if (Date.now() > end) reject(new Error(`no LMTP socket at ${socketPath}: ${err.message}`))
        else setTimeout(() => attempt().then(resolve, reject), 25)
      })
    })
  return attempt()
}

const USER = /^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$/

/** Starts Dovecot with only LMTP; undefined when it cannot run here and we are not in CI. */
export async function startDovecotLmtp(options: DovecotLmtpOptions): Promise<DovecotLmtp | undefined> {
  const bin = dovecotBinary()
  if (!bin) return undefined
  const port = await freePort()
  const dir = tempDir('dovecot')
  const run = path.join(dir, 'run')
  const mail = path.join(dir, 'mail')
  for (const d of [run, path.join(dir, 'state'), mail]) mkdirSync(d)
  // Login/auth processes run as dovenull/dovecot, mail processes as nobody.
  chmodSync(dir, 0o755)
  chmodSync(mail, 0o1777)
  const users = options.users.map((u) => {
    if (!USER.test(u.name)) throw new Error(`dovecot: bad user name ${u.name}`)
    // passwd-file: user:password:uid:gid:gecos:home:shell:extra_fields
    return `${u.name}:{PLAIN}unused::::::${(u.extra ?? []).join(' ')}`
  })
  writeFileSync(path.join(dir, 'users'), `${users.join('\n')}\n`, { mode: 0o644 })
  const quota = options.quota
    ? `mail_plugins = $mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_full_tempfail = ${options.quotaTempfail ? 'yes' : 'no'}
}
`
    : ''
  writeFileSync(
    path.join(dir, 'dovecot.conf'),
    `protocols = lmtp
listen = 127.0.0.1
base_dir = ${run}
state_dir = ${path.join(dir, 'state')}
instance_name = postern-lmtp-${port}
log_path = ${path.join(dir, 'dovecot.log')}
ssl = no
default_login_user = dovenull
default_internal_user = dovecot
postmaster_address = postmaster@example.com
mail_location = maildir:${mail}/%u
${quota}passdb {
  driver = passwd-file
  args = username_format=%u ${path.join(dir, 'users')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${path.join(dir, 'users')}
  default_fields = uid=nobody gid=nogroup home=${mail}/%u
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
  unix_listener lmtp {
    mode = 0666
  }
}
`,
  )
  const socketPath = path.join(run, 'lmtp')
  const logFile = path.join(dir, 'dovecot.log')
  const proc = await startProcess({
    name: 'dovecot',
    command: bin,
    args: ['-F', '-c', path.join(dir, 'dovecot.conf')],
    dir,
    ready: async () => {
      await waitForTcp(port)
      await waitForUnixSocket(socketPath)
    },
  })
  const maildir = (user: string) => path.join(mail, user)
  return {
    ...proc,
    port,
    socketPath,
    maildir,
    messages(user) {
      const out: string[] = []
      for (const sub of ['new', 'cur']) {
        const d = path.join(maildir(user), sub)
        if (!existsSync(d)) continue
        for (const f of readdirSync(d).sort()) out.push(readFileSync(path.join(d, f), 'latin1'))
      }
      return out
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      await proc.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
