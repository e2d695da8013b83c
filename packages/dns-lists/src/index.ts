export { isListAnswer, isListing, type ListAnswer, listText, queryList } from './answer.js'
export { isCodeFilter, parseCodeFilter, parseZoneName } from './filter.js'
export { type DnsErrorPolicy, parseDnsErrorPolicy, replySafe } from './policy.js'
