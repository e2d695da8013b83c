/**
 * `queue/lmtp [target] [key value]…` — the target first (or as `target X`), then key/value pairs.
 * Unknown keys refuse the load, so a typo does not silently fall back to a default.
 */
import os from 'node:os'
import type { PluginArgs, PluginConfig } from '@postern/core'
import {
  type Endpoint,
  hookTimeoutMs,
  parseEndpoint,
  parsePluginWords,
  seconds,
  yesNo,
} from '@postern/smtp-client'

export interface LmtpOptions {
  endpoint: Endpoint
  pipelining: boolean
  connectTimeoutMs: number
  lhlo: string
  /** The queue hook's own deadline (ms). */
  hookTimeoutMs: number
}

/** Dovecot's default LMTP socket. */
export const DEFAULT_TARGET = 'unix:/var/run/dovecot/lmtp'
/** RFC 2033 asks for a port other than 25; 24 is the one registered for LMTP. */
export const DEFAULT_PORT = 24

const NAME = 'queue/lmtp'

export async function readOptions(args: PluginArgs, config: PluginConfig): Promise<LmtpOptions> {
  const { positional, pairs } = parsePluginWords(NAME, args.words, {
    maxPositional: 1,
    keys: ['target', 'pipelining', 'connect_timeout', 'lhlo'],
  })
  if (positional[0] !== undefined && pairs.has('target'))
    throw new Error(`${NAME}: give the target once (first word or "target")`)
  const target = positional[0] ?? pairs.get('target') ?? DEFAULT_TARGET
  let endpoint: Endpoint
  try {
    endpoint = parseEndpoint(target, DEFAULT_PORT)
  } catch (err) {
    throw new Error(`${NAME}: bad target ${(err as Error).message}`)
  }
  return {
    endpoint,
    pipelining: yesNo(NAME, 'pipelining', pairs.get('pipelining'), true),
    connectTimeoutMs: seconds(NAME, 'connect_timeout', pairs.get('connect_timeout'), 10),
    lhlo: pairs.get('lhlo') ?? (await config.get('me', os.hostname()))!,
    hookTimeoutMs: await hookTimeoutMs(pairs.get('hook_timeout'), config),
  }
}
