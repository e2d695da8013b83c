/**
 * `definePlugin`: a plugin is a value with a name, the core range it was written for, and
 * either a static `hooks` object or a `setup` that builds one from its arguments and config.
 */
import type { DnsResolver } from './dns.js'
import type { PluginHooks } from './hook-types.js'
import type { Logger } from './logger.js'
import type { PluginArgs } from './plugin-args.js'
import type { PluginConfig } from './plugin-config.js'
import type { Store } from './store.js'

export interface PluginSetupContext {
  /** The plugin's name. */
  readonly name: string
  /** Its line's name in `config/plugins` (`name:N` for a second instance). */
  readonly instance: string
  readonly args: PluginArgs
  readonly config: PluginConfig
  readonly log: Logger
  readonly dns: DnsResolver
  /** The site's store, namespaced with the plugin's name. */
  readonly store: Store
  /**
   * The site's store namespaced with another name, for state plugins agree to share:
   * `sharedStore('ipblacklist')` is the store ipblacklist gets as `store`. Use it only where the
   * owner of that namespace documents its key format (tokenbucket writes ipblacklist's entries).
   */
  readonly sharedStore: (namespace: string) => Store
  /** The running core's version. */
  readonly coreVersion: string
  /** Aborted when the plugin is unloaded (reload, shutdown): close sockets and timers on it. */
  readonly signal: AbortSignal
}

type Awaitable<T> = T | Promise<T>

export interface PluginDefinition {
  /** The name `config/plugins` uses (qpsmtpd's name: `check_badmailfrom`, `queue/maildir`). */
  readonly name: string
  /** The semver range of @postern/core this plugin was written for (`^1.0.0`). */
  readonly core: string
  /** Other names that load this plugin (later qpsmtpd names: `badmailfrom`). */
  readonly aliases?: readonly string[]
  /** Plugins that must be listed before this one in `config/plugins`. */
  readonly dependencies?: readonly string[]
  readonly description?: string
  /** Static hooks, for plugins that need no setup. */
  readonly hooks?: PluginHooks
  /** Builds the hooks once per `config/plugins` line; a throw refuses the load with its message. */
  readonly setup?: (ctx: PluginSetupContext) => Awaitable<PluginHooks | undefined | void>
}

/** Marks a value as a Postern plugin; checks the shape early so mistakes show at import. */
export function definePlugin<const P extends PluginDefinition>(definition: P): P {
  if (!definition.name || typeof definition.name !== 'string')
    throw new TypeError('definePlugin: name is required')
  if (!definition.core || typeof definition.core !== 'string')
    throw new TypeError(
      `definePlugin(${definition.name}): core (a semver range of @postern/core) is required`,
    )
  if (!definition.hooks && !definition.setup)
    throw new TypeError(`definePlugin(${definition.name}): give hooks or setup`)
  return Object.freeze(definition)
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.name === 'string' &&
    typeof v.core === 'string' &&
    (typeof v.setup === 'function' || typeof v.hooks === 'object')
  )
}
