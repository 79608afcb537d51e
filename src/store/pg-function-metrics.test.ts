import { after, before, describe } from 'node:test';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { functionMetricStoreContract } from '../telemetry/function-metrics-contract.js';
import { PgFunctionMetrics } from './pg-function-metrics.js';

const target = await pgTestTarget(process.env);

describe('PgFunctionMetrics', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  // Each store of the contract starts empty.
  functionMetricStoreContract('PgFunctionMetrics', async () => {
    const m = await PgFunctionMetrics.open({ pool: db.pool });
    await db.pool.query('TRUNCATE function_metrics');
    return m;
  });
});
