/**
 * redirect: users who moved. config/redirect maps an address to its new one (`old new`), or a
 * whole domain (`@old.example @new.example`); the client is told
 * `551 5.1.6 User not local; please try <new>` and can send there itself. Unlike forwarding,
 * this does not break SPF, and the final recipient's own checks still run.
 * With `per_user 1`, a `user_config` answer for the recipient (one address) is used first, as
 * qpsmtpd's ~/.redirect was.
 */
import { addressKey } from '@postern/address-lists'
import { Address, ConfigError, type ConfigLine, definePlugin, deny, parseRejectMode } from '@postern/core'
import { peerDependencies } from '../package.json'

interface Move {
  readonly to: string
  readonly file: string
  readonly line: number
}

interface RedirectMap {
  readonly addresses: ReadonlyMap<string, Move>
  readonly domains: ReadonlyMap<string, Move>
}

const valid = (address: string) => Address.tryParse(`<${address}>`, { utf8: true }) !== undefined

function parseMap(lines: readonly ConfigLine[]): RedirectMap {
  const addresses = new Map<string, Move>()
  const domains = new Map<string, Move>()
  for (const l of lines) {
    const [from, to, extra] = l.value.toLowerCase().split(/\s+/)
    if (!from || !to || extra !== undefined)
      throw new ConfigError('expected "old-address new-address"', l.file, l.line)
    const move = { to, file: l.file, line: l.line }
    if (from.startsWith('@')) {
      if (!to.startsWith('@') || !valid(`x${from}`) || !valid(`x${to}`))
        throw new ConfigError('a domain redirect is "@old.example @new.example"', l.file, l.line)
      domains.set(from.slice(1), { ...move, to: to.slice(1) })
    } else {
      if (!valid(from) || !valid(to))
        throw new ConfigError(`"${from}" or "${to}" is not an address`, l.file, l.line)
      addresses.set(from, move)
    }
  }
  return { addresses, domains }
}

export default definePlugin({
  name: 'redirect',
  core: peerDependencies['@postern/core'],
  description: 'Answers 551 User not local for users who moved',
  async setup({ config, args }) {
    const map = await config.parsed('redirect', parseMap)
    const perUser = args.bool('per_user', false)

    const ownTarget = async (recipient: Address): Promise<string | undefined> => {
      const values = await config.forAddress(recipient, 'redirect')
      const global = await config.list('redirect')
      if (values.length === global.length && values.every((v, i) => v === global[i])) return undefined
      const first = values[0]?.split(/\s+/)[0]
      return first && valid(first) ? first : undefined
    }

    return {
      async rcpt(ctx, recipient) {
        if (!recipient.host) return
        const key = addressKey(recipient)
        const m = await map.get()
        let target = perUser ? await ownTarget(recipient) : undefined
        let where = target ? 'user_config' : ''
        const byAddress = target ? undefined : m.addresses.get(key)
        const byDomain = target || byAddress ? undefined : m.domains.get(recipient.host.toLowerCase())
        if (byAddress) target = byAddress.to
        else if (byDomain) target = `${Address.quoteLocal(recipient.user)}@${byDomain.to}`
        const move = byAddress ?? byDomain
        if (move) where = `${move.file}:${move.line}`
        if (!target) return
        const message = `User not local; please try <${target}>`
        if (parseRejectMode(ctx.plugin.args) === 'off')
          return ctx.log.result('fail, tolerated', `${key} moved to ${target}`)
        ctx.log.result('fail', `${key} moved to ${target} (${where})`)
        return deny(message, '5.1.6', 551)
      },
    }
  },
})
