/**
 * serverless.yml (Framework v3/v4, provider aws) → the nimbus.yaml draft. Variables are resolved
 * first (variables.ts); then `service`, `provider` and each of `functions` map key by key, and
 * every key that has no Nimbus meaning is a warning with its path.
 */
import { appName, checkHandler, checkRuntime, environment, functionName, integer, isRecord, memory, text, timeout, warnUnmapped } from './draft.js';
import type { DraftFunction, DraftManifest } from './draft.js';
import { cloudFormationNamer } from './resources.js';
import type { KeyPath, Report } from './report.js';
import { serverlessTriggers } from './serverless-events.js';
import { resolveVariables } from './variables.js';
import type { VariableSources } from './variables.js';

// Top-level keys with no effect on what runs: read silently.
const QUIET_TOP = ['service', 'provider', 'functions', 'custom', 'frameworkVersion', 'configValidationMode', 'variablesResolutionMode', 'deprecationNotificationMode', 'disabledDeprecations'];
const PROVIDER_MAPPED = ['name', 'runtime', 'memorySize', 'timeout', 'environment', 'stage'];
const FUNCTION_MAPPED = [
  'handler',
  'runtime',
  'memorySize',
  'timeout',
  'environment',
  'reservedConcurrency',
  'provisionedConcurrency',
  'ephemeralStorageSize',
  'maximumRetryAttempts',
  'maximumEventAge',
  'events',
  'description',
];

const WHY: Record<string, string> = {
  role: 'IAM roles are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
  iam: 'IAM roles are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
  iamRoleStatements: 'IAM roles are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
  vpc: 'VPC settings are not mapped: use `network:` in nimbus.yaml to allow outbound hosts',
  layers: 'layers are not mapped: put the code in the app directory (esbuild bundles its imports)',
  package: 'packaging settings are not used: Nimbus bundles each handler with esbuild',
  plugins: 'plugins are not run: Nimbus reads serverless.yml itself',
  org: 'Serverless Dashboard settings are not used',
  app: 'Serverless Dashboard settings are not used (the Nimbus app is named after `service`)',
  console: 'Serverless Dashboard settings are not used',
  dashboard: 'Serverless Dashboard settings are not used',
  resources: 'CloudFormation resources are not created: buckets, topics and queues named by events exist on Nimbus while a function names them',
  useDotenv: '.env files are not loaded: set the variables in the environment of `nimbus deploy`',
  region: 'regions have no meaning on a Nimbus node',
  architecture: "the architecture is the Nimbus node's own",
  tracing: 'X-Ray tracing is not mapped: Nimbus exports OpenTelemetry traces (nimbus up --otlp-endpoint)',
  destinations: 'destinations are not mapped: write `destinations:` in nimbus.yaml',
  url: 'function URLs are not mapped: add an `http:` trigger',
  name: 'the AWS function name is not used: the function is named after its key',
};

export interface ServerlessOptions extends VariableSources {
  /** The app directory, where handler files must exist. */
  dir: string;
}

export async function fromServerless(raw: unknown, report: Report, options: ServerlessOptions): Promise<DraftManifest> {
  if (!isRecord(raw)) {
    report.error([], 'is not a serverless.yml: expected a mapping with `service`, `provider` and `functions`');
    report.throwIfErrors();
  }
  const { doc } = resolveVariables(raw as Record<string, unknown>, options, report);
  const provider = isRecord(doc['provider']) ? doc['provider'] : {};
  if (provider['name'] !== undefined && provider['name'] !== 'aws') report.error(['provider', 'name'], `provider "${text(provider['name'])}" is not supported: only aws services are read`);
  checkRuntime(provider['runtime'], report, ['provider', 'runtime']);
  const service = isRecord(doc['service']) ? doc['service']['name'] : doc['service'];
  const app = appName(service, report, ['service']);
  warnUnmapped(doc, QUIET_TOP, report, [], (k) => WHY[k] ?? `"${k}" is not mapped`);
  warnUnmapped(provider, PROVIDER_MAPPED, report, ['provider'], (k) => WHY[k] ?? `provider.${k} is not mapped`);

  const shared: DraftFunction = { handler: '' };
  const mem = memory(provider['memorySize'], report, ['provider', 'memorySize']);
  if (mem !== undefined) shared.memory = mem;
  const secs = timeout(provider['timeout'], report, ['provider', 'timeout']);
  if (secs !== undefined) shared.timeout = secs;
  const providerEnv = environment(provider['environment'], report, ['provider', 'environment']);

  const named = cloudFormationNamer(isRecord(doc['resources']) ? doc['resources']['Resources'] : undefined, report);
  const functions: Record<string, DraftFunction> = {};
  const rawFunctions = isRecord(doc['functions']) ? doc['functions'] : {};
  if (Object.keys(rawFunctions).length === 0) report.error(['functions'], 'defines no function: add one under `functions:`');
  for (const [key, fn] of Object.entries(rawFunctions)) {
    const path = ['functions', key];
    if (!isRecord(fn)) {
      report.error(path, 'is not a mapping with a `handler`');
      continue;
    }
    functions[functionName(key, report, path)] = await mapFunction(fn, path, report, { ...options, shared, providerEnv, named });
  }
  report.throwIfErrors();
  return { app, functions };
}

interface FunctionContext extends ServerlessOptions {
  shared: DraftFunction;
  providerEnv: Record<string, string>;
  named: ReturnType<typeof cloudFormationNamer>;
}

async function mapFunction(fn: Record<string, unknown>, path: KeyPath, report: Report, ctx: FunctionContext): Promise<DraftFunction> {
  checkRuntime(fn['runtime'], report, [...path, 'runtime']);
  const handler = typeof fn['handler'] === 'string' ? fn['handler'] : '';
  if (handler === '') report.error([...path, 'handler'], fn['image'] !== undefined ? 'container images are not supported: Nimbus runs Node.js handlers' : 'is missing: write `handler: file.export`');
  else await checkHandler(ctx.dir, handler, report, [...path, 'handler']);
  warnUnmapped(fn, FUNCTION_MAPPED, report, path, (k) => WHY[k] ?? `"${k}" is not mapped`);

  const out: DraftFunction = { handler };
  const mem = memory(fn['memorySize'], report, [...path, 'memorySize']) ?? ctx.shared.memory;
  if (mem !== undefined) out.memory = mem;
  const secs = timeout(fn['timeout'], report, [...path, 'timeout']) ?? ctx.shared.timeout;
  if (secs !== undefined) out.timeout = secs;
  const tmp = integer(fn['ephemeralStorageSize'], report, [...path, 'ephemeralStorageSize']);
  if (tmp !== undefined) out.ephemeralStorage = Math.min(Math.max(tmp, 64), 10240);
  const reserved = integer(fn['reservedConcurrency'], report, [...path, 'reservedConcurrency']);
  if (reserved === 0) report.warn([...path, 'reservedConcurrency'], '0 stops a Lambda function from running; Nimbus has no such switch: no limit is set');
  else if (reserved !== undefined) out.concurrency = reserved;
  const provisioned = integer(fn['provisionedConcurrency'], report, [...path, 'provisionedConcurrency']);
  if (provisioned !== undefined && provisioned > 0) out.minInstances = provisioned;
  const retries = integer(fn['maximumRetryAttempts'], report, [...path, 'maximumRetryAttempts']);
  if (retries !== undefined) out.retries = Math.min(retries, 10);
  const age = integer(fn['maximumEventAge'], report, [...path, 'maximumEventAge']);
  if (age !== undefined) out.maxEventAge = Math.min(Math.max(age, 60), 21600);
  const env = { ...ctx.providerEnv, ...environment(fn['environment'], report, [...path, 'environment']) };
  if (Object.keys(env).length > 0) out.env = env;
  const triggers = serverlessTriggers(fn['events'], report, [...path, 'events'], ctx.named);
  if (triggers.length > 0) out.triggers = triggers;
  return out;
}
