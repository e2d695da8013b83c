// The CIDR list moved to @postern/core (IpList); these names keep existing imports working.
export {
  /** @deprecated Use IpList from @postern/core. */
  IpList as CidrSet,
  /** @deprecated Use IpNetwork from @postern/core. */
  type IpNetwork as CidrEntry,
  /** @deprecated Use parseIpNetwork from @postern/core. */
  parseIpNetwork as parseCidr,
} from '@postern/core'
export { default, IGNORE_NOTE } from './plugin.js'
