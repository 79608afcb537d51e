import { secretStoreContract } from './contract.js';
import { MemorySecretStore } from './memory.js';

secretStoreContract('MemorySecretStore', () => new MemorySecretStore());
