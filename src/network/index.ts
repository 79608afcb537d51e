/** Per-function outbound network policy: the entry grammar, and the node's veth + nftables + forwarder enforcement. */
export { DENIED_IPV4, egressIssues, MAX_EGRESS_ENTRIES, parseEgressEntry } from './policy.js';
export type { EgressRule, EgressSetting } from './policy.js';
