import { kvContract } from './contract.js';
import { MemoryKvStore } from './memory.js';

kvContract('MemoryKvStore', (clock) => new MemoryKvStore({ clock }));
