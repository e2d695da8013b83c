/** Which names to look up, in the form DNS wants. */
import { domainToASCII } from 'node:url'
import { isValidDomain } from '@postern/core'

/**
 * A host from MAIL FROM or HELO as an A-label domain, or undefined for what no list can hold:
 * address literals, bare words, malformed names. UTF-8 domains (SMTPUTF8) become punycode.
 */
export function lookupDomain(host: string | undefined): string | undefined {
  if (!host || host.startsWith('[')) return undefined
  const ascii = domainToASCII(host.replace(/\.$/, '')).toLowerCase()
  if (!ascii.includes('.') || !isValidDomain(ascii)) return undefined
  return ascii
}
