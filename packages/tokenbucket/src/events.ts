/**
 * Which refusals count: the `events` argument is a comma-separated list of `hook` or
 * `hook:plugin` (`rcpt`, `rcpt:check_goodrcptto`, `helo:*`); `*` alone is every hook.
 */
import { DENY, DENY_DISCONNECT, DENYSOFT, DENYSOFT_DISCONNECT, type VerdictEvent } from '@postern/core'

export interface EventMatcher {
  matches(event: VerdictEvent): boolean
  readonly description: string
}

export function parseEvents(spec: string, countSoft: boolean): EventMatcher {
  const rules = new Map<string, Set<string> | '*'>()
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [hook = '', plugin] = item.split(':')
    if (!hook) throw new Error(`events: empty hook in ${JSON.stringify(spec)}`)
    const prior = rules.get(hook)
    if (plugin === undefined || plugin === '*' || prior === '*') rules.set(hook, '*')
    else rules.set(hook, new Set([...(prior ?? []), plugin]))
  }
  if (!rules.size) throw new Error('events: name at least one hook, e.g. rcpt')
  const codes = new Set<number>(
    countSoft ? [DENY, DENY_DISCONNECT, DENYSOFT, DENYSOFT_DISCONNECT] : [DENY, DENY_DISCONNECT],
  )
  return {
    description: `${countSoft ? 'refused' : 'permanently refused'} ${[...rules.keys()].join('/')}`,
    matches(event) {
      if (!codes.has(event.verdict.code)) return false
      const rule = rules.get(event.hook) ?? rules.get('*')
      if (!rule) return false
      // The dispatcher names the deciding instance (`plugin:2`); rules name plugins.
      return rule === '*' || rule.has(event.plugin) || rule.has(event.plugin.replace(/:\d+$/, ''))
    },
  }
}
