import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { DeadEvent } from '../queue/index.js';
import { deadEventView } from './routes-events.js';

const dead = (payload: unknown): DeadEvent => ({
  id: 'e1',
  target: { app: 'shop', function: 'mail' },
  source: 'topic',
  shape: 'queue',
  origin: 'orders',
  payload,
  attempts: 3,
  maxAttempts: 3,
  hop: 0,
  runAt: 1,
  createdAt: 1,
  expiresAt: 2,
  lastError: 'boom',
  deadAt: 3,
  reason: 'RetriesExhausted after 3 attempt(s): FUNCTION_ERROR: boom',
});

describe('deadEventView', () => {
  it('lists a topic message as it was published, with its attributes beside it', () => {
    const view = deadEventView(dead({ 'nimbus:message': 1, body: { id: 7 }, attributes: { priority: 'high' } }));
    assert.deepEqual(view.payload, { id: 7 });
    assert.deepEqual(view.attributes, { priority: 'high' });
  });

  it('lists any other payload as queued, without attributes', () => {
    const view = deadEventView(dead({ id: 7 }));
    assert.deepEqual(view.payload, { id: 7 });
    assert.equal('attributes' in view, false);
  });
});
