/**
 * The one contract every trigger source runs (sources.test.ts), as the KV and queue ports do:
 * its kinds are declared (kind spec, manifest key, owned names), and its life cycle holds —
 * setFunctions before and after start, the deployed set reaches it and leaves it, and close is
 * idempotent and safe without start.
 */
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion, Trigger } from '../../domain/index.js';
import { resourcesOf } from '../resources.js';
import { TRIGGER_KIND_SPECS } from './kinds.js';
import type { OwnedName, TriggerSource } from './port.js';

export interface SourceFixture {
  source: TriggerSource;
  /** One trigger per kind the source serves, with the names it should own. */
  samples: Array<{ trigger: Trigger; owns: OwnedName[] }>;
  /** Whether the source currently serves this trigger of `fn` (routes it, arms it, subscribes it). */
  serves: (fn: FunctionVersion, trigger: Trigger) => boolean;
}

export function functionWith(triggers: Trigger[], app = 'shop', name = 'fn'): FunctionVersion {
  const config = { triggers, bindings: {}, destinations: { onSuccess: null, onFailure: null }, env: {}, retries: 2, maxEventAge: 60 } as unknown as FunctionConfig;
  return { app, name, version: 1, hash: '', codeHash: '', codeSize: 0, config, createdAt: 0 };
}

export function triggerSourceContract(name: string, make: () => SourceFixture): void {
  describe(`TriggerSource contract: ${name}`, () => {
    let fixture: SourceFixture | undefined;
    const open = (): SourceFixture => (fixture = make());
    afterEach(async () => {
      await fixture?.source.close();
      fixture = undefined;
    });

    it('declares a kind spec, a manifest key and a sample for every kind it serves', () => {
      const { source, samples } = open();
      assert.ok(source.kinds.length > 0);
      for (const kind of source.kinds) {
        const spec = TRIGGER_KIND_SPECS.find((k) => k.key === kind);
        assert.ok(spec, `kind "${kind}" has a spec in kinds.ts`);
        assert.ok(
          samples.some((s) => s.trigger.type === kind),
          `a sample of kind "${kind}"`,
        );
      }
    });

    it('reports the names its triggers own, which the deploy checks across apps', () => {
      const { samples } = open();
      for (const { trigger, owns } of samples) {
        const named = resourcesOf(functionWith([trigger]).config).map(({ kind, name }) => ({ kind, name }));
        assert.deepEqual(named, owns, `${trigger.type} owns ${JSON.stringify(owns)}`);
      }
    });

    it('serves the deployed set after start, forgets functions that leave it, and closes twice', async () => {
      const { source, samples, serves } = open();
      const fn = functionWith(samples.map((s) => s.trigger));
      source.setFunctions([]);
      await source.start();
      source.setFunctions([fn]);
      for (const { trigger } of samples) assert.ok(serves(fn, trigger), `serves ${trigger.type} after setFunctions`);
      source.setFunctions([]);
      for (const { trigger } of samples) assert.ok(!serves(fn, trigger), `forgets ${trigger.type} once undeployed`);
      source.setFunctions([fn]);
      await source.close();
      await source.close();
    });

    it('takes a set before start, and closes without having started', async () => {
      const { source, samples, serves } = open();
      const fn = functionWith(samples.map((s) => s.trigger));
      source.setFunctions([fn]);
      for (const { trigger } of samples) assert.ok(serves(fn, trigger));
      await source.close();
    });
  });
}
