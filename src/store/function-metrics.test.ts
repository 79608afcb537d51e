import Database from 'better-sqlite3';
import { functionMetricStoreContract } from '../telemetry/function-metrics-contract.js';
import { SqliteFunctionMetrics } from './function-metrics.js';

// Alone on its own file: the adapter creates its table.
functionMetricStoreContract('SqliteFunctionMetrics', () => new SqliteFunctionMetrics(new Database(':memory:')));
