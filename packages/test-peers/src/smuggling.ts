/**
 * The end-of-data variants of SMTP smuggling (the security reference: hannob/smtpsmug and
 * Postfix's follow-ups): each is a fake end of DATA a lenient server might accept, so a
 * transaction written after it would be delivered as a second, forged message.
 */
export const SMUGGLING_VARIANTS: readonly (readonly [name: string, endOfData: string])[] = [
  ['lflf', '\n.\n'],
  ['crcr', '\r.\r'],
  ['crlf', '\r.\n'],
  ['lfcr', '\n.\r'],
  ['lfcrlf', '\n.\r\n'],
  ['crlflf', '\r\n.\n'],
  ['crcrlf', '\r.\r\n'],
  ['crlfcr', '\r\n.\r'],
  ['nul before dot', '\r\n\0.\r\n'],
  ['CR run', '\r\n.\r\r\n'],
]
