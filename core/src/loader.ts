/**
 * Loading: each `config/plugins` line is resolved to a module, its plugin checked against the
 * running core (semver range) and the plugins listed before it (dependencies), then set up and
 * registered with the dispatcher in config order. Every refusal names the plugin, its range and
 * the core version, so an admin knows what to upgrade.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
// Two functions, not the whole package: semver's index loads ~50 CommonJS files at start-up.
import satisfies from 'semver/functions/satisfies.js'
import validRange from 'semver/ranges/valid.js'
import { isPluginDefinition, type PluginDefinition } from './plugin.js'
import type { PluginLine } from './plugins-file.js'
import { candidatePackages, type ResolvedModule, resolvePluginModule } from './resolve.js'

/** A plugin that cannot be loaded: not found, not importable, refused by a check, or its setup failed. */
export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError'
  constructor(
    message: string,
    /** The instance name (`config/plugins` line) of the plugin that failed. */
    readonly plugin: string,
    /** Where that plugin is listed, when known. */
    readonly where?: { readonly file: string; readonly line: number },
  ) {
    super(message)
  }
}

/** A plugin found for a config line, before setup. */
export interface ResolvedPlugin {
  readonly line: PluginLine
  readonly definition: PluginDefinition
  readonly module?: ResolvedModule
}

export interface CompatibilityReport {
  readonly compatible: boolean
  readonly problems: readonly string[]
}

function describe(p: ResolvedPlugin): string {
  const pkg = p.module?.packageName
  return pkg
    ? `${p.line.instance} (${pkg}${p.module?.packageVersion ? ` ${p.module.packageVersion}` : ''})`
    : p.line.instance
}

/** Checks a plugin's declared core range against the running core. */
export function checkCoreRange(p: ResolvedPlugin, coreVersion: string): string | undefined {
  const range = p.definition.core
  if (!validRange(range)) return `plugin ${describe(p)} declares an invalid core range "${range}"`
  if (!satisfies(coreVersion, range, { includePrerelease: true }))
    return `plugin ${describe(p)} requires @postern/core ${range}, but the running core is ${coreVersion}`
  return undefined
}

/** Checks that each plugin's dependencies are loaded before it. */
export function checkDependencies(p: ResolvedPlugin, before: readonly ResolvedPlugin[]): string[] {
  const problems: string[] = []
  for (const dep of p.definition.dependencies ?? []) {
    const found = before.some(
      (b) => b.definition.name === dep || b.line.name === dep || (b.definition.aliases ?? []).includes(dep),
    )
    if (!found)
      problems.push(
        `plugin ${describe(p)} depends on "${dep}", which is not listed before it in config/plugins`,
      )
  }
  return problems
}

export function checkPlugins(plugins: readonly ResolvedPlugin[], coreVersion: string): CompatibilityReport[] {
  return plugins.map((p, i) => {
    const problems = [checkCoreRange(p, coreVersion), ...checkDependencies(p, plugins.slice(0, i))].filter(
      (x): x is string => x !== undefined,
    )
    return { compatible: problems.length === 0, problems }
  })
}

export interface ResolvePluginsOptions {
  /** Plugins given in code (embedding, tests), found by name or alias before any module. */
  definitions?: readonly PluginDefinition[]
  searchDirs: readonly string[]
  baseDir: string
}

const isPath = (name: string) => name.startsWith('.') || path.isAbsolute(name)

function matches(def: PluginDefinition, name: string): boolean {
  return def.name === name || (def.aliases ?? []).includes(name)
}

/** Picks the plugin a module exports for `name`: the default export, or a named one that matches. */
function pickDefinition(mod: Record<string, unknown>, line: PluginLine, entry: string): PluginDefinition {
  const name = line.name
  const candidates: PluginDefinition[] = []
  const def = mod.default
  if (isPluginDefinition(def)) candidates.push(def)
  // A CJS build seen through import(): the definition sits at default.default.
  const nested = (def as Record<string, unknown> | undefined)?.default
  if (isPluginDefinition(nested)) candidates.push(nested)
  for (const [key, value] of Object.entries(mod))
    if (key !== 'default' && isPluginDefinition(value)) candidates.push(value)
  const hit =
    candidates.find((c) => matches(c, name)) ?? (candidates.length === 1 ? candidates[0] : undefined)
  if (!hit)
    throw new PluginLoadError(
      `${line.file}:${line.line}: plugin ${name}: ${entry} exports no plugin definition named "${name}"`,
      line.instance,
      line,
    )
  return hit
}

/** Finds and imports the module of every line. */
export async function resolvePlugins(
  lines: readonly PluginLine[],
  options: ResolvePluginsOptions,
): Promise<ResolvedPlugin[]> {
  const out: ResolvedPlugin[] = []
  for (const line of lines) {
    const given = options.definitions?.find((d) => matches(d, line.name))
    if (given) {
      out.push({ line, definition: given })
      continue
    }
    const module = resolvePluginModule(line.name, {
      searchDirs: options.searchDirs,
      baseDir: options.baseDir,
    })
    if (!module) {
      const sought = isPath(line.name) ? 'the file' : `${candidatePackages(line.name).join(', ')} and aliases`
      throw new PluginLoadError(
        `${line.file}:${line.line}: plugin ${line.name} not found (looked for ${sought} from ${options.searchDirs.join(', ')})`,
        line.instance,
        line,
      )
    }
    let mod: Record<string, unknown>
    try {
      mod = (await import(pathToFileURL(module.entry).href)) as Record<string, unknown>
    } catch (err) {
      throw new PluginLoadError(
        `${line.file}:${line.line}: plugin ${line.name}: cannot import ${module.entry}: ${(err as Error).message}`,
        line.instance,
        line,
      )
    }
    out.push({ line, definition: pickDefinition(mod, line, module.entry), module })
  }
  return out
}
