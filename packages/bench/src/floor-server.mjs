/**
 * The floor: the least a Node.js SMTP server can be, a plain `net` server that greets, answers
 * every command with 250 (354 to DATA) and throws the message away. Run by the bench beside the
 * real servers in the memory and start-time workloads, to show what Node itself costs there.
 *   node floor-server.mjs PORT
 */
import { createServer } from 'node:net'

const port = Number(process.argv[2])
const END = Buffer.from('\r\n.\r\n')

createServer((socket) => {
  socket.setNoDelay(true)
  socket.on('error', () => {})
  socket.write('220 floor ESMTP\r\n')
  let data = false
  let pending = ''
  socket.on('data', (chunk) => {
    if (data) {
      // Only the end of DATA matters; keep the last bytes in case it spans two packets.
      const tail = Buffer.concat([Buffer.from(pending, 'latin1'), chunk.subarray(-5)])
      pending = tail.subarray(-4).toString('latin1')
      if (tail.includes(END)) {
        data = false
        pending = ''
        socket.write('250 2.0.0 Ok\r\n')
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
