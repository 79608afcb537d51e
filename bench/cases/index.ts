/** Every case, in the order a full run executes them. */
import type { BenchCase } from '../lib/context.js';
import { asyncEvents } from './async-events.js';
import { burst } from './burst.js';
import { cluster } from './cluster.js';
import { coldStart } from './cold-start.js';
import { density } from './density.js';
import { ioBound } from './io-bound.js';
import { noisyNeighbour } from './noisy-neighbour.js';
import { routing } from './routing.js';
import { warmHttp } from './warm-http.js';

export const cases: readonly BenchCase[] = [warmHttp, ioBound, coldStart, burst, density, routing, noisyNeighbour, asyncEvents, cluster];
