/** Per-function outbound network policy: the entry grammar, and the node's veth + nftables + forwarder enforcement. */
export { DENIED_IPV4, egressIssues, MAX_EGRESS_ENTRIES, parseEgressEntry } from './policy.js';
export type { EgressRule, EgressSetting } from './policy.js';
export { cleanLeftovers, DEFAULT_SUBNET, NetworkEgress, SANDBOX_RUN_DIR } from './egress.js';
export type { EgressOptions, LayerReport } from './egress.js';
export { egressHooks } from './hooks.js';
export type { EgressHooks } from './hooks.js';
export type { Forward } from './forwarder.js';
