/** Every trigger source of the node runs the one contract (contract.ts). */
import type { FunctionVersion } from '../../domain/index.js';
import { MemoryScheduleState } from '../schedule-state.js';
import { Resources } from '../resources.js';
import { Scheduler } from '../scheduler.js';
import { FakeClock } from '../../shared/clock.js';
import { triggerSourceContract } from './contract.js';
import { emailSource } from './email/source.js';
import { httpSource } from './http/source.js';
import { scheduleSource } from './schedule/source.js';
import { resourcesSource } from './topic/source.js';

triggerSourceContract('http (routes and webhooks, through the gateway)', () => {
  let current: FunctionVersion[] = [];
  const gateway = { setFunctions: (fns: Iterable<FunctionVersion>) => void (current = [...fns]) };
  return {
    source: httpSource(gateway),
    samples: [
      { trigger: { type: 'http', method: 'GET', path: '/hello' }, owns: [] },
      { trigger: { type: 'webhook', path: '/hooks/ci', secret: 'S', header: 'x-hub-signature-256' }, owns: [] },
    ],
    serves: (fn, trigger) => current.some((f) => f === fn && f.config.triggers.includes(trigger)),
  };
});

triggerSourceContract('topics and buckets (Resources)', () => {
  const resources = new Resources();
  return {
    source: resourcesSource(resources),
    samples: [
      { trigger: { type: 'topic', topic: 'orders', batchSize: 1, maxBatchWindow: 0 }, owns: [{ kind: 'topic', name: 'orders' }] },
      { trigger: { type: 'bucket', bucket: 'uploads', events: ['created'], prefix: '' }, owns: [{ kind: 'bucket', name: 'uploads' }] },
    ],
    serves: (fn, t) => {
      const entry = t.type === 'topic' ? resources.topic(t.topic) : t.type === 'bucket' ? resources.bucket(t.bucket) : undefined;
      return entry?.subscribers.some((s) => s.fn === fn) ?? false;
    },
  };
});

triggerSourceContract('schedules (Scheduler)', () => {
  const scheduler = new Scheduler({ queue: { enqueue: () => Promise.resolve([]) }, state: new MemoryScheduleState(), clock: new FakeClock(0), timers: { set: () => undefined, clear: () => {} } });
  return {
    source: scheduleSource(scheduler),
    samples: [{ trigger: { type: 'schedule', schedule: 'rate(5 minutes)', timezone: null, catchUp: false }, owns: [] }],
    serves: (fn) => scheduler.list().some((e) => e.app === fn.app && e.function === fn.name),
  };
});

triggerSourceContract('email (SMTP)', () => {
  const source = emailSource({ queue: { enqueue: () => Promise.resolve([]) }, clock: new FakeClock(0), host: '127.0.0.1', port: 0, log: () => {} });
  return {
    source,
    samples: [{ trigger: { type: 'email', address: 'orders@shop.example' }, owns: [{ kind: 'email', name: 'orders@shop.example' }] }],
    serves: (_fn, t) => t.type === 'email' && source.accepts(t.address),
  };
});
