/**
 * SAM template (template.yaml) → the nimbus.yaml draft. Each AWS::Serverless::Function (with
 * `Globals.Function` applied, intrinsics resolved) becomes a function; buckets, topics and
 * queues its events refer to become the Nimbus resources of those names; every other resource
 * and property is a warning with its key path.
 */
import { posix } from 'node:path';
import { appName, checkHandler, checkRuntime, environment, functionName, integer, isRecord, memory, timeout, warnUnmapped } from './draft.js';
import type { DraftFunction, DraftManifest } from './draft.js';
import { Intrinsics } from './intrinsics.js';
import type { KeyPath, Report } from './report.js';
import { NAMED_TYPES } from './resources.js';
import { samTriggers } from './sam-events.js';

const FUNCTION_TYPE = 'AWS::Serverless::Function';
const QUIET_TOP = ['AWSTemplateFormatVersion', 'Transform', 'Description', 'Parameters', 'Globals', 'Resources', 'Metadata'];
const MAPPED = [
  'CodeUri',
  'Handler',
  'Runtime',
  'MemorySize',
  'Timeout',
  'Environment',
  'ReservedConcurrentExecutions',
  'ProvisionedConcurrencyConfig',
  'EphemeralStorage',
  'EventInvokeConfig',
  'Events',
  'Description',
];
const WHY: Record<string, string> = {
  Role: 'IAM roles are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
  Policies: 'IAM policies are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
  VpcConfig: 'VPC settings are not mapped: use `network:` in nimbus.yaml to allow outbound hosts',
  Layers: 'layers are not mapped: put the code in the app directory (esbuild bundles its imports)',
  Architectures: "the architecture is the Nimbus node's own",
  Tracing: 'X-Ray tracing is not mapped: Nimbus exports OpenTelemetry traces (nimbus up --otlp-endpoint)',
  AutoPublishAlias: 'every deploy that changes a function makes a new version on Nimbus; aliases are not created from the template',
  FunctionName: 'the AWS function name is not used: the function is named after its logical id',
  DeadLetterQueue: 'dead letters are kept by Nimbus (`nimbus events --dead`); write `destinations:` in nimbus.yaml to route failures',
  Outputs: 'Outputs are not mapped: `nimbus deploy` prints the routes',
  Conditions: 'Conditions are not evaluated',
  Mappings: 'Mappings are not read (Fn::FindInMap is left out)',
};

export interface SamOptions {
  dir: string;
  /** The app name when the template does not give one: SAM names stacks at deploy time (samconfig.toml). */
  stackName: string;
}

export async function fromSam(raw: unknown, report: Report, options: SamOptions): Promise<DraftManifest> {
  if (!isRecord(raw) || !isRecord(raw['Resources'])) {
    report.error(['Resources'], 'is missing: a SAM template declares its functions under `Resources`');
    report.throwIfErrors();
  }
  const doc = raw as Record<string, unknown> & { Resources: Record<string, unknown> };
  const resources = doc.Resources;
  warnUnmapped(doc, QUIET_TOP, report, [], (k) => WHY[k] ?? `"${k}" is not mapped`);
  const app = appName(options.stackName, report, []);
  const names = new Map<string, string>();
  for (const [id, res] of Object.entries(resources)) if (isRecord(res) && res['Type'] === FUNCTION_TYPE) names.set(id, functionName(id, report, ['Resources', id]));
  if (names.size === 0) report.error(['Resources'], `declares no ${FUNCTION_TYPE}`);

  const intrinsics = new Intrinsics({ parameters: isRecord(doc['Parameters']) ? doc['Parameters'] : {}, resources, functions: names, stackName: app }, report);
  const globals = isRecord(doc['Globals']) ? doc['Globals'] : {};
  warnUnmapped(globals, ['Function'], report, ['Globals'], (k) => `Globals.${k} is not mapped`);
  const shared = intrinsics.resolve(isRecord(globals['Function']) ? globals['Function'] : {}, ['Globals', 'Function']) as Record<string, unknown>;

  const functions: Record<string, DraftFunction> = {};
  for (const [id, name] of names) {
    const path = ['Resources', id];
    const res = resources[id] as Record<string, unknown>;
    if (res['Metadata'] !== undefined) report.warn([...path, 'Metadata'], 'build metadata is not used: Nimbus bundles each handler with esbuild');
    const own = intrinsics.resolve(isRecord(res['Properties']) ? res['Properties'] : {}, [...path, 'Properties']) as Record<string, unknown>;
    functions[name] = await mapFunction(shared, own, [...path, 'Properties'], report, options.dir);
  }
  for (const [id, res] of Object.entries(resources)) {
    const type = isRecord(res) ? String(res['Type']) : '';
    if (type === FUNCTION_TYPE) continue;
    if (NAMED_TYPES[type] !== undefined && intrinsics.referenced.has(id)) continue;
    const why = NAMED_TYPES[type] !== undefined ? 'no function event refers to it, so nothing on Nimbus creates it' : 'has no Nimbus equivalent';
    report.warn(['Resources', id], `${type} is not mapped: ${why}`);
  }
  report.throwIfErrors();
  return { app, functions };
}

/** One function: Globals.Function under its own Properties (Environment.Variables merged). */
async function mapFunction(shared: Record<string, unknown>, own: Record<string, unknown>, path: KeyPath, report: Report, dir: string): Promise<DraftFunction> {
  const props: Record<string, unknown> = { ...shared, ...own };
  const at = (key: string): KeyPath => (key in own || !(key in shared) ? [...path, key] : ['Globals', 'Function', key]);
  const image = props['PackageType'] === 'Image' || props['ImageUri'] !== undefined;
  if (image) report.error([...path, 'PackageType'], 'container images are not supported: Nimbus runs Node.js handlers from the app directory');
  const inline = props['InlineCode'] !== undefined;
  if (inline) report.error([...path, 'InlineCode'], 'inline code is not supported: put the handler in a file and set CodeUri and Handler');
  checkRuntime(props['Runtime'], report, at('Runtime'));
  const codeUri = props['CodeUri'] ?? '.';
  if (typeof codeUri !== 'string') report.error(at('CodeUri'), 'code in S3 is not supported: point CodeUri at a directory of the app');
  const handler = typeof props['Handler'] === 'string' ? handlerIn(typeof codeUri === 'string' ? codeUri : '.', props['Handler']) : '';
  if (handler === '') {
    if (!image) report.error(at('Handler'), 'is missing: write `Handler: file.export`');
  } else if (!inline) await checkHandler(dir, handler, report, at('Handler'));
  for (const key of Object.keys(props)) if (!MAPPED.includes(key) && !['PackageType', 'ImageUri', 'InlineCode'].includes(key)) report.warn(at(key), WHY[key] ?? `"${key}" is not mapped`);

  const out: DraftFunction = { handler };
  const mem = memory(props['MemorySize'], report, at('MemorySize'));
  if (mem !== undefined) out.memory = mem;
  const secs = timeout(props['Timeout'], report, at('Timeout'));
  if (secs !== undefined) out.timeout = secs;
  const storage = isRecord(props['EphemeralStorage']) ? integer(props['EphemeralStorage']['Size'], report, [...at('EphemeralStorage'), 'Size']) : undefined;
  if (storage !== undefined) out.ephemeralStorage = Math.min(Math.max(storage, 64), 10240);
  const reserved = integer(props['ReservedConcurrentExecutions'], report, at('ReservedConcurrentExecutions'));
  if (reserved === 0) report.warn(at('ReservedConcurrentExecutions'), '0 stops a Lambda function from running; Nimbus has no such switch: no limit is set');
  else if (reserved !== undefined) out.concurrency = reserved;
  const provisioned = isRecord(props['ProvisionedConcurrencyConfig'])
    ? integer(props['ProvisionedConcurrencyConfig']['ProvisionedConcurrentExecutions'], report, at('ProvisionedConcurrencyConfig'))
    : undefined;
  if (provisioned !== undefined && provisioned > 0) out.minInstances = provisioned;
  const invoke = isRecord(props['EventInvokeConfig']) ? props['EventInvokeConfig'] : {};
  const retries = integer(invoke['MaximumRetryAttempts'], report, [...at('EventInvokeConfig'), 'MaximumRetryAttempts']);
  if (retries !== undefined) out.retries = retries;
  const age = integer(invoke['MaximumEventAgeInSeconds'], report, [...at('EventInvokeConfig'), 'MaximumEventAgeInSeconds']);
  if (age !== undefined) out.maxEventAge = Math.min(Math.max(age, 60), 21600);
  warnUnmapped(invoke, ['MaximumRetryAttempts', 'MaximumEventAgeInSeconds'], report, at('EventInvokeConfig'), () => 'destinations are not mapped: write `destinations:` in nimbus.yaml');
  const vars = (v: unknown): unknown => (isRecord(v) ? v['Variables'] : undefined);
  const env = {
    ...environment(vars(shared['Environment']), report, ['Globals', 'Function', 'Environment', 'Variables']),
    ...environment(vars(own['Environment']), report, [...path, 'Environment', 'Variables']),
  };
  if (Object.keys(env).length > 0) out.env = env;
  const triggers = samTriggers(own['Events'], report, [...path, 'Events']);
  if (triggers.length > 0) out.triggers = triggers;
  return out;
}

/** CodeUri `hello-world/` + Handler `app.lambdaHandler` → `hello-world/app.lambdaHandler`. */
function handlerIn(codeUri: string, handler: string): string {
  const joined = posix.normalize(posix.join(codeUri, handler));
  return joined.startsWith('./') ? joined.slice(2) : joined;
}
