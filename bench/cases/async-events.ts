/**
 * Case 7, async events: durable enqueue rate and async throughput. Waits for the event queue;
 * when it lands, measure here (group-commit enqueue rate vs a bare better-sqlite3 insert loop in
 * the same run, then end-to-end events/s through the queue worker) and drop the pending status.
 */
import { emptyOutput, type BenchCase } from '../lib/context.js';

export const asyncEvents: BenchCase = {
  id: 'async-events',
  title: 'Async events (durable enqueue, throughput)',
  async run() {
    return { ...emptyOutput(), status: 'pending', reason: 'async events have not landed in the server yet' };
  },
};
