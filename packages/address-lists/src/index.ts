export { AddressList, type AddressListOptions } from './address-list.js'
export { buildCdb, CdbFile, cdbGet, cdbHash } from './cdb.js'
export {
  type BareWords,
  type EntryKind,
  type EntryOptions,
  type EntrySource,
  isPatternEntry,
  type ListEntry,
  parseEntry,
} from './entry.js'
export { type SplitUser, splitExtension } from './extension.js'
export { HostList, suffixesOf } from './host-list.js'
export { immunity, recipientImmunity, sessionImmunity } from './immunity.js'
export { ipLookupKeys } from './ip-keys.js'
export { type IpEntry, IpList, type IpListOptions, normalizeIp } from './ip-list.js'
export {
  type CompiledPattern,
  compilePattern,
  type PatternOptions,
  type PatternOrigin,
  perlToJs,
  splitSlashed,
  unsafeReason,
} from './pattern.js'
export { rejectOnce } from './reject.js'
export { addressKey, splitKey } from './subject.js'
export { WHITELIST_CLIENT, WHITELIST_HELO, type WhitelistMode, whitelistHooks } from './whitelist.js'
