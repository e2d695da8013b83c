/**
 * A small SMTP server for what smtp-sink cannot do: STARTTLS, checking AUTH credentials,
 * refusing chosen recipients, misbehaving on purpose (data after the STARTTLS 220, silence).
 * It records each transaction as it arrived (after dot-unstuffing), with TLS and AUTH state.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createSecureContext, TLSSocket } from 'node:tls'

export interface Received {
  tls: boolean
  authUser?: string
  authMechanism?: string
  mail: string
  rcpts: string[]
  data: string
}

export interface TestServerOptions {
  tls?: { cert: string; key: string }
  /** user → password; AUTH PLAIN LOGIN is offered when set (after TLS when tls is set). */
  users?: Record<string, string>
  /** Recipient (as in RCPT, with brackets) → reply line for refusing it. */
  refuse?: Record<string, string>
  /** Sent after the 220 to STARTTLS, in the same write (response injection). */
  injectAfterStartTls?: string
  /** Never send the greeting. */
  silent?: boolean
}

export interface TestServer {
  port: number
  received: Received[]
  /** Sockets that closed (the client hung up). */
  closed: number
  connections: number
  close(): Promise<void>
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const received: Received[] = []
  const sockets = new Set<Socket>()
  const context = options.tls ? createSecureContext(options.tls) : undefined
  const state = { closed: 0, connections: 0 }
  const server: Server = createServer((raw) => {
    state.connections++
    sockets.add(raw)
    raw.on('error', () => {})
    raw.once('close', () => {
      state.closed++
      sockets.delete(raw)
    })
    if (options.silent) return
    serve(raw)
  })

  function serve(raw: Socket): void {
    let sock: Socket = raw
    let tls = false
    let buf = ''
    let inData = false
    let auth: { user: string; mechanism: string } | undefined
    let loginStep: { user?: string } | undefined
    let tx: Received | undefined
    const say = (line: string) => sock.write(`${line}\r\n`)
    const caps = () => {
      const c = ['250-test.server', '250-PIPELINING', '250-SIZE 1000000', '250-8BITMIME']
      if (context && !tls) c.push('250-STARTTLS')
      if (options.users && (tls || !context)) c.push('250-AUTH PLAIN LOGIN')
      c.push('250 ENHANCEDSTATUSCODES')
      return c.join('\r\n')
    }
    const checkAuth = (user: string, password: string, mechanism: string) => {
      if (options.users?.[user] === password) {
        auth = { user, mechanism }
        say('235 2.7.0 Authentication successful')
      } else say('535 5.7.8 Authentication credentials invalid')
    }
    const line = (l: string) => {
      if (loginStep) {
        const v = Buffer.from(l, 'base64').toString()
        if (loginStep.user === undefined) {
          loginStep.user = v
          say('334 UGFzc3dvcmQ6')
        } else {
          const user = loginStep.user
          loginStep = undefined
          checkAuth(user, v, 'LOGIN')
        }
        return
      }
      const [verb = '', ...rest] = l.split(' ')
      const arg = rest.join(' ')
      switch (verb.toUpperCase()) {
        case 'EHLO':
          return say(caps())
        case 'STARTTLS': {
          sock.write(`220 2.0.0 Ready to start TLS\r\n${options.injectAfterStartTls ?? ''}`)
          sock.removeListener('data', onData)
          const secure = new TLSSocket(sock, { isServer: true, secureContext: context! })
          secure.on('error', () => {})
          secure.on('data', onData)
          sock = secure
          tls = true
          buf = ''
          return
        }
        case 'AUTH': {
          const [mech, initial] = arg.split(' ')
          if (mech?.toUpperCase() === 'PLAIN' && initial) {
            const [, user = '', password = ''] = Buffer.from(initial, 'base64').toString().split('\0')
            return checkAuth(user, password, 'PLAIN')
          }
          if (mech?.toUpperCase() === 'LOGIN') {
            loginStep = {}
            return say('334 VXNlcm5hbWU6')
          }
          return say('504 5.5.4 Unsupported')
        }
        case 'MAIL':
          if (options.users && !auth) return say('530 5.7.0 Authentication required')
          tx = {
            tls,
            mail: arg,
            rcpts: [],
            data: '',
            ...(auth ? { authUser: auth.user, authMechanism: auth.mechanism } : {}),
          }
          return say('250 2.1.0 Ok')
        case 'RCPT': {
          const addr = arg.replace(/^TO:/i, '')
          const refusal = options.refuse?.[addr]
          if (refusal) return say(refusal)
          tx?.rcpts.push(addr)
          return say('250 2.1.5 Ok')
        }
        case 'DATA':
          if (!tx?.rcpts.length) return say('554 5.5.1 No valid recipients')
          inData = true
          return say('354 End data with <CR><LF>.<CR><LF>')
        case 'RSET':
          tx = undefined
          return say('250 2.0.0 Ok')
        case 'QUIT':
          say('221 2.0.0 Bye')
          return sock.end()
        default:
          return say('502 5.5.2 Unknown command')
      }
    }
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n')
          const atStart = buf.startsWith('.\r\n')
          if (end < 0 && !atStart) return
          const body = atStart ? '' : buf.slice(0, end + 2)
          buf = buf.slice(atStart ? 3 : end + 5)
          inData = false
          tx!.data = body.replace(/^\.\./gm, '.')
          received.push(tx!)
          tx = undefined
          say('250 2.0.0 Ok: queued as TEST1')
          continue
        }
        const nl = buf.indexOf('\r\n')
        if (nl < 0) return
        const l = buf.slice(0, nl)
        buf = buf.slice(nl + 2)
        line(l)
      }
    }
    raw.on('data', onData)
    say('220 test.server ESMTP')
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    received,
    get closed() {
      return state.closed
    },
    get connections() {
      return state.connections
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}
