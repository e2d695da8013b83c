/**
 * The PROXY protocol (HAProxy, v1 text and v2 binary), read only from hosts listed in
 * `config/proxy_hosts`: it tells us the real client address behind a load balancer.
 */
import { isIP, type Socket } from 'node:net'

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

export interface ProxyInfo {
  remoteIp: string
  remotePort: number
  localIp: string
  localPort: number
}

export type ProxyResult = { info: ProxyInfo | undefined; rest: Buffer }

/** Parses a complete header at the start of `buf`; undefined if more bytes are needed; throws if malformed. */
export function parseProxyHeader(buf: Buffer): ProxyResult | undefined {
  if (buf.length >= 12 && buf.subarray(0, 12).equals(V2_SIG)) {
    if (buf.length < 16) return undefined
    const len = buf.readUInt16BE(14)
    if (buf.length < 16 + len) return undefined
    const verCmd = buf[12]!
    const fam = buf[13]!
    const rest = buf.subarray(16 + len)
    if (verCmd >> 4 !== 2) throw new Error('bad PROXY v2 version')
    if ((verCmd & 0xf) === 0) return { info: undefined, rest } // LOCAL: health check from the proxy itself
    const body = buf.subarray(16, 16 + len)
    if (fam >> 4 === 1 && body.length >= 12) {
      return {
        info: {
          remoteIp: [...body.subarray(0, 4)].join('.'),
          localIp: [...body.subarray(4, 8)].join('.'),
          remotePort: body.readUInt16BE(8),
          localPort: body.readUInt16BE(10),
        },
        rest,
      }
    }
    if (fam >> 4 === 2 && body.length >= 36) {
      const v6 = (b: Buffer) =>
        (b.toString('hex').match(/.{4}/g) ?? []).join(':').replace(/(^|:)0{1,3}/g, '$1')
      return {
        info: {
          remoteIp: v6(body.subarray(0, 16)),
          localIp: v6(body.subarray(16, 32)),
          remotePort: body.readUInt16BE(32),
          localPort: body.readUInt16BE(34),
        },
        rest,
      }
    }
    return { info: undefined, rest }
  }
  const end = buf.indexOf('\r\n')
  if (end < 0) {
    if (buf.length > 107) throw new Error('PROXY v1 header too long')
    if (buf.length >= 6 && buf.subarray(0, 6).toString() !== 'PROXY ')
      throw new Error('expected a PROXY header')
    return undefined
  }
  const parts = buf.subarray(0, end).toString('latin1').split(' ')
  const rest = buf.subarray(end + 2)
  if (parts[0] !== 'PROXY') throw new Error('expected a PROXY header')
  if (parts[1] === 'UNKNOWN') return { info: undefined, rest }
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6)
    throw new Error('malformed PROXY v1 header')
  const [, , src, dst, sport, dport] = parts as [string, string, string, string, string, string]
  if (!isIP(src) || !isIP(dst) || !/^\d{1,5}$/.test(sport) || !/^\d{1,5}$/.test(dport))
    throw new Error('malformed PROXY v1 header')
  return { info: { remoteIp: src, localIp: dst, remotePort: Number(sport), localPort: Number(dport) }, rest }
}

/** Reads the header from a new socket (before our greeting), with a deadline. */
export function readProxyHeader(socket: Socket, timeoutMs = 10_000): Promise<ProxyResult> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const done = (err: Error | undefined, r?: ProxyResult) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
      // Hold further bytes until the session's transport takes over the socket.
      socket.pause()
      if (err) reject(err)
      else resolve(r!)
    }
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      try {
        const r = parseProxyHeader(buf)
        if (r) done(undefined, r)
        else if (buf.length > 600) done(new Error('PROXY header too long'))
      } catch (err) {
        done(err as Error)
      }
    }
    const onError = (err: Error) => done(err)
    const onEnd = () => done(new Error('connection closed before the PROXY header'))
    const timer = setTimeout(() => done(new Error('no PROXY header in time')), timeoutMs)
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('end', onEnd)
  })
}
