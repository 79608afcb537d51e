/**
 * The environment AWS Lambda sets for a function, so code written for Lambda (the AWS SDK v3's
 * region resolution, Powertools' cold-start flag and service names, libraries that read the
 * function's name or memory) finds what it expects. The manifest's own `env` wins over every
 * one of these (the shim applies it last).
 *
 * Deliberately absent:
 * - `AWS_LAMBDA_RUNTIME_API`: it tells code it runs under a custom runtime's API (aws-lambda-ric,
 *   the Lambda web adapter, Powertools' parameters extension look for it) and it would make them
 *   poll an endpoint that does not exist here.
 * - `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: Lambda gives the function its
 *   role's credentials; Nimbus has no role to give, and the node's own credentials must never leak
 *   in (a sandbox starts with an empty environment). A function that needs AWS credentials gets
 *   them from `secrets:`.
 * - `HOME`, `TMPDIR`, `LAMBDA_TASK_ROOT`: paths inside the sandbox, which only the shim knows
 *   (its temp dir on the host without isolation, `/tmp` inside its own mount namespace).
 */
import { randomBytes } from 'node:crypto';
import type { FunctionVersion } from '../domain/index.js';

/** What the node decides: its region and whether the instance is started ahead of demand. */
export interface LambdaEnvOptions {
  /** The node's AWS region (`nimbus up --region`), default us-east-1. */
  region: string;
  /** Started for `minInstances` (Lambda's provisioned concurrency), not for a waiting request. */
  provisioned: boolean;
  /** Epoch ms the instance starts: the log stream's date. */
  now: number;
}

/** The variables Lambda sets for one execution environment (instance) of `fn`. */
export function lambdaEnvironment(fn: FunctionVersion, o: LambdaEnvOptions): Record<string, string> {
  const d = new Date(o.now);
  const p = (n: number) => String(n).padStart(2, '0');
  return {
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: String(fn.version),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.config.memory),
    AWS_REGION: o.region,
    AWS_DEFAULT_REGION: o.region,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.app}-${fn.name}`,
    // Lambda's own format: date, [version], then an id of the execution environment.
    AWS_LAMBDA_LOG_STREAM_NAME: `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/[${fn.version}]${randomBytes(16).toString('hex')}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: o.provisioned ? 'provisioned-concurrency' : 'on-demand',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
  };
}
