/**
 * config/mailinglist_simple: one list per line,
 *
 *   team@example.org  protected  members=team.members  signature=team.sig  reply_to=team@example.org
 *   news@example.org  public     signature=news.sig  name=news.example.org
 *
 * the list address, PUBLIC (anyone may post) or PROTECTED (members only), then options:
 * `members=` a config file of member addresses (required for a protected list), `signature=` a
 * config file appended to each post, `reply_to=` the Reply-To to set (default: the list
 * address; `none` keeps the sender's), `name=` the X-Mailing-List value (default: the address).
 */
import { Address, ConfigError, type ConfigLine } from '@postern/core'

export interface MailingList {
  readonly address: string
  readonly protected: boolean
  readonly members: string | undefined
  readonly signature: string | undefined
  readonly replyTo: string | undefined
  readonly name: string
  readonly file: string
  readonly line: number
}

const OPTIONS = new Set(['members', 'signature', 'reply_to', 'name'])
/** Config names are file names in the config dir; keep them plain. */
const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export function parseLists(lines: readonly ConfigLine[]): Map<string, MailingList> {
  const lists = new Map<string, MailingList>()
  for (const l of lines) {
    const fail = (why: string) => new ConfigError(why, l.file, l.line)
    const [addressText, accessText, ...rest] = l.value.split(/\s+/)
    const address = Address.tryParse(`<${addressText}>`, { utf8: true })
    if (!address || address.isNull || !address.host) throw fail(`${addressText} is not a list address`)
    const access = accessText?.toLowerCase()
    if (access !== 'public' && access !== 'protected')
      throw fail(`expected PUBLIC or PROTECTED after ${addressText}`)
    const options = new Map<string, string>()
    for (const word of rest) {
      const eq = word.indexOf('=')
      const key = eq > 0 ? word.slice(0, eq).toLowerCase() : word
      if (!OPTIONS.has(key)) throw fail(`unknown option ${JSON.stringify(word)}`)
      options.set(key, word.slice(eq + 1))
    }
    for (const key of ['members', 'signature'] as const) {
      const v = options.get(key)
      if (v !== undefined && !CONFIG_NAME.test(v))
        throw fail(`${key}= must name a file in the config directory, not ${v}`)
    }
    if (access === 'protected' && !options.get('members'))
      throw fail(`the protected list ${addressText} needs members=FILE`)
    const replyText = options.get('reply_to')
    let replyTo: string | undefined = address.address
    if (replyText?.toLowerCase() === 'none') replyTo = undefined
    else if (replyText !== undefined) {
      const r = Address.tryParse(`<${replyText}>`, { utf8: true })
      if (!r || r.isNull) throw fail(`reply_to=${replyText} is not an address`)
      replyTo = r.address
    }
    const name = options.get('name') ?? address.address
    if (!/^[\x21-\x7e]+$/.test(name)) throw fail(`name=${name} must be printable ASCII without spaces`)
    const key = address.address.toLowerCase()
    if (lists.has(key)) throw fail(`${addressText} is listed twice`)
    lists.set(key, {
      address: address.address,
      protected: access === 'protected',
      members: options.get('members'),
      signature: options.get('signature'),
      replyTo,
      name,
      file: l.file,
      line: l.line,
    })
  }
  return lists
}

/** Member addresses, one per line (`Name <addr>` allowed), lower-cased, in a Set. */
export function parseMembers(lines: readonly ConfigLine[]): Set<string> {
  const out = new Set<string>()
  for (const l of lines) {
    const angle = /<([^<>\s]+)>/.exec(l.value)
    out.add((angle ? angle[1]! : l.value.split(/\s+/)[0]!).toLowerCase())
  }
  return out
}
