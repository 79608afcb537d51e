import { storeContract } from './contract.js';
import { MemoryStore } from './memory.js';

storeContract('MemoryStore', (clock) => new MemoryStore({ clock }));
