/**
 * MAIL FROM parameters for the next hop, from what our client declared and what the next hop
 * offers: SIZE (so a too-big message is refused before it is sent), BODY=8BITMIME, SMTPUTF8.
 * An envelope with non-ASCII addresses cannot be sent to a server without SMTPUTF8 (RFC 6531):
 * that is a permanent 553 5.6.7, as Postfix answers.
 */
import type { MailParams } from './deliver.js'

export interface MessageTraits {
  /** Estimated message size in bytes (SIZE is an estimate by definition, RFC 1870). */
  size?: number
  /** The client's BODY parameter (`7BIT`, `8BITMIME`). */
  body?: string
  /** The client said SMTPUTF8. */
  smtputf8?: boolean
  /** Envelope addresses, to see whether any needs SMTPUTF8. */
  addresses: readonly string[]
}

const NON_ASCII = /[^\x00-\x7f]/

export function mailParamsFor(
  traits: MessageTraits,
  hop: string,
): (caps: ReadonlyMap<string, string>) => MailParams {
  const needsUtf8 = traits.addresses.some((a) => NON_ASCII.test(a))
  return (caps) => {
    const params: string[] = []
    if (caps.has('SIZE') && traits.size !== undefined && traits.size >= 0)
      params.push(`SIZE=${Math.ceil(traits.size)}`)
    if (traits.body?.toUpperCase() === '8BITMIME' && caps.has('8BITMIME')) params.push('BODY=8BITMIME')
    if (needsUtf8 || traits.smtputf8) {
      if (caps.has('SMTPUTF8')) params.push('SMTPUTF8')
      else if (needsUtf8)
        return {
          refuse: {
            code: 553,
            enhanced: '5.6.7',
            lines: [`SMTPUTF8 is required, but was not offered by the ${hop}`],
          },
        }
    }
    return { params }
  }
}
