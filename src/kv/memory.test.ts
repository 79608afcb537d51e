import { kvContract } from './contract.js';
import { MemoryKvStore } from './memory.js';

kvContract('MemoryKvStore', (clock, o) => new MemoryKvStore({ clock, ...o }));
