/**
 * Config as a plugin reads it: `config` hooks are asked first (e.g. http_config), then files;
 * inside a `config` or `user_config` hook, reads go straight to the files.
 * `parsed()` keeps a derived value (compiled patterns, sets) that is rebuilt when the file
 * changes; a parse error is thrown at load, and on a later change it is logged and the last good
 * value is kept, so a typo in a live file does not take the server down.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Address } from './address.js'
import { type ConfigDir, ConfigError, type ConfigLine } from './config-dir.js'
import type { Logger } from './logger.js'

/** Asks the `config` / `user_config` hooks; undefined when no plugin answered. */
export interface ConfigHookRunner {
  config(key: string): Promise<readonly string[] | undefined>
  userConfig(address: Address, key: string): Promise<readonly string[] | undefined>
  /** True when any plugin registered a config hook (to skip the async path otherwise). */
  readonly active: boolean
}

export interface ParsedConfig<T> {
  /** The current value, re-parsed if the file changed since the last call. */
  get(): Promise<T>
}

export interface PluginConfig {
  /** The config directory. */
  readonly dir: string
  /** Values of a config name, `config` hooks first, then the file; [] if neither has any. */
  list(name: string): Promise<readonly string[]>
  /** The first value, or the fallback. */
  get(name: string, fallback?: string): Promise<string | undefined>
  /** Values with their file and line, for error messages. Hook answers name the hook as file. */
  lines(name: string): Promise<readonly ConfigLine[]>
  /** The whole file as text (JSON, YAML, PEM), from the config dir only. */
  raw(name: string): string | undefined
  /** A value derived from the lines, rebuilt when they change. Throws ConfigError at load. */
  parsed<T>(name: string, parse: (lines: readonly ConfigLine[]) => T): Promise<ParsedConfig<T>>
  /** Per-address values: `user_config` hooks first, then `list(name)`. */
  forAddress(address: Address, name: string): Promise<readonly string[]>
}

const noHooks: ConfigHookRunner = {
  config: async () => undefined,
  userConfig: async () => undefined,
  active: false,
}

export class ConfigService implements PluginConfig {
  #hooks: ConfigHookRunner = noHooks
  /**
   * Set while a `config` / `user_config` hook runs: a hook that reads config itself (say, its
   * own settings) reads files, instead of asking the hooks again, without end. Async-local, so
   * other sessions reading config while a slow hook waits still go through the hooks.
   */
  readonly #inHook = new AsyncLocalStorage<true>()

  constructor(
    readonly files: ConfigDir,
    private readonly log?: Logger,
  ) {}

  get dir(): string {
    return this.files.dir
  }

  /** Connects the `config` hooks once the dispatcher exists. */
  useHooks(hooks: ConfigHookRunner): void {
    this.#hooks = hooks
  }

  /** True when the hooks should be asked: some are registered and none is running here. */
  get #askHooks(): boolean {
    return this.#hooks.active && this.#inHook.getStore() === undefined
  }

  #fromHook(name: string): Promise<readonly string[] | undefined> {
    return this.#inHook.run(true, () => this.#hooks.config(name))
  }

  async lines(name: string): Promise<readonly ConfigLine[]> {
    if (this.#askHooks) {
      const fromHook = await this.#fromHook(name)
      if (fromHook) return fromHook.map((value, i) => ({ value, file: `(config hook) ${name}`, line: i + 1 }))
    }
    return this.files.lines(name)
  }

  async list(name: string): Promise<readonly string[]> {
    if (this.#askHooks) {
      const fromHook = await this.#fromHook(name)
      if (fromHook) return fromHook
    }
    return this.files.list(name)
  }

  async get(name: string, fallback?: string): Promise<string | undefined> {
    return (await this.list(name))[0] ?? fallback
  }

  raw(name: string): string | undefined {
    return this.files.raw(name)
  }

  async forAddress(address: Address, name: string): Promise<readonly string[]> {
    if (this.#askHooks) {
      const fromHook = await this.#inHook.run(true, () => this.#hooks.userConfig(address, name))
      if (fromHook) return fromHook
    }
    return this.list(name)
  }

  async parsed<T>(name: string, parse: (lines: readonly ConfigLine[]) => T): Promise<ParsedConfig<T>> {
    let source = await this.lines(name)
    let value = parse(source) // a bad file fails the plugin's load, with file and line
    return {
      get: async () => {
        const now = await this.lines(name)
        if (now === source) return value
        try {
          value = parse(now)
        } catch (err) {
          const where = err instanceof ConfigError ? '' : ` (${name})`
          this.log?.error(
            `config change rejected, keeping the previous value${where}: ${(err as Error).message}`,
          )
        }
        source = now
        return value
      },
    }
  }
}
