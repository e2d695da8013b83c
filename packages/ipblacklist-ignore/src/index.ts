export { type CidrEntry, CidrSet, parseCidr } from './cidr.js'
export { default, IGNORE_NOTE } from './plugin.js'
