/**
 * The floor: the least a Node.js SMTP server can be, a plain `net` server that greets, answers
 * every command with 250 (354 to DATA) and throws the message away. Run by the bench beside the
 * real servers, to show what Node itself costs per command, per idle socket and to start.
 *   node floor-server.mjs PORT [MAILDIR]
 * With MAILDIR it keeps each message the way a durable Maildir queue must before its 250: write
 * tmp/NAME, fsync it, rename it into new/, fsync new/ (one directory fsync serves every rename
 * made before it started). No parsing, no policy: what the disk allows a Node server at all.
 */
import { closeSync, fsync, mkdirSync, openSync, writeSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'

const port = Number(process.argv[2])
const maildir = process.argv[3]
const END = Buffer.from('\r\n.\r\n')
const fsyncFd = promisify(fsync)

let seq = 0
/** The directory fsync in flight, and the one that will start after it (group commit). */
let dirSync
let nextDirSync

function syncNew() {
  if (!nextDirSync) {
    const run = async () => {
      await dirSync?.catch(() => {})
      nextDirSync = undefined
      const fd = openSync(path.join(maildir, 'new'), 'r')
      try {
        await fsyncFd(fd)
      } finally {
        closeSync(fd)
      }
    }
    nextDirSync = run()
    dirSync = nextDirSync
  }
  return nextDirSync
}

async function keep(chunks) {
  const name = `${Date.now()}.P${process.pid}Q${++seq}.floor`
  const tmp = path.join(maildir, 'tmp', name)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, Buffer.concat(chunks))
    await fsyncFd(fd)
  } finally {
    closeSync(fd)
  }
  await rename(tmp, path.join(maildir, 'new', name))
  await syncNew()
}

if (maildir) for (const sub of ['tmp', 'new', 'cur']) mkdirSync(path.join(maildir, sub), { recursive: true })

createServer((socket) => {
  socket.setNoDelay(true)
  socket.on('error', () => {})
  socket.write('220 floor ESMTP\r\n')
  let data = false
  let pending = ''
  let body = []
  socket.on('data', (chunk) => {
    if (data) {
      if (maildir) body.push(chunk)
      // Only the end of DATA matters; keep the last bytes in case it spans two packets.
      const tail = Buffer.concat([Buffer.from(pending, 'latin1'), chunk.subarray(-5)])
      pending = tail.subarray(-4).toString('latin1')
      if (tail.includes(END)) {
        data = false
        pending = ''
        if (!maildir) return socket.write('250 2.0.0 Ok\r\n')
        const message = body
        body = []
        keep(message).then(
          () => socket.write('250 2.0.0 Ok\r\n'),
          (err) => socket.write(`451 4.3.0 ${err.message}\r\n`),
        )
      }
      return
    }
    pending += chunk.toString('latin1')
    for (let i = pending.indexOf('\r\n'); i >= 0; i = pending.indexOf('\r\n')) {
      const verb = pending.slice(0, 4).toUpperCase()
      pending = pending.slice(i + 2)
      if (verb === 'DATA') {
        data = true
        pending = '\r\n'
        socket.write('354 go ahead\r\n')
        return
      }
      if (verb === 'QUIT') {
        socket.end('221 bye\r\n')
        return
      }
      socket.write('250 ok\r\n')
    }
  })
}).listen(port, '127.0.0.1')
