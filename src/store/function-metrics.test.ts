import Database from 'better-sqlite3';
import { functionMetricStoreContract } from '../telemetry/function-metrics-contract.js';
import { SqliteFunctionMetrics } from './function-metrics.js';
import { migrate } from './migrations.js';

functionMetricStoreContract('SqliteFunctionMetrics (migration 0010)', () => {
  const db = new Database(':memory:');
  migrate(db);
  return new SqliteFunctionMetrics(db);
});
