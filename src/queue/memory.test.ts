import { queueContract } from './contract.js';
import { MemoryEventQueue } from './memory.js';

queueContract('MemoryEventQueue', (clock) => new MemoryEventQueue({ clock }));
