/** Public surface of object storage: the port and the embedded file-system implementation. */
export type * from './port.js';
export { MAX_OBJECT_BYTES } from './port.js';
export { FsObjectStore, MAX_KEY_BYTES, MAX_LIST_LIMIT, checkKey } from './fs-store.js';
export type { FsObjectStoreOptions } from './fs-store.js';
export { openDatabase } from './db.js';
