/**
 * `import { createTestPlatform } from 'nimbus/testing'`: integration tests of a Nimbus app against
 * a real node (docs/testing.md). An entry point like src/server: it picks the node's settings for
 * tests (free ports, a temporary data dir, a small warm pool).
 */
export { createTestPlatform } from './platform.js';
export type { RecordsQuery, TestPlatform, TestPlatformOptions } from './platform.js';
export type { AsyncInvokeView, InvocationRecord, InvokeResult, LogLineView } from '../client/types.js';
export type { PublishResult } from '../client/storage-types.js';
export { NimbusClient } from '../client/client.js';
