/**
 * Which function version a Lambda API call means. `FunctionName` is, as in AWS, a name or an ARN:
 *   `hello`                      the function `hello` of the one app the key is limited to
 *   `shop.hello`                 app `shop`, function `hello` (app names cannot hold a dot)
 *   `shop.hello:3`               with a qualifier
 *   `arn:aws:lambda:<region>:<account>:function:shop.hello[:<qualifier>]`
 * The qualifier (in the name or `?Qualifier=`; both must agree) is a version number, `$LATEST`
 * (the active version: Nimbus has no unpublished `$LATEST` code) or an alias name.
 */
import type { FunctionVersion } from '../../domain/index.js';
import { APP_NAME, FUNCTION_NAME } from '../../manifest/names.js';
import { AwsError } from './errors.js';

/** The account id in the ARNs Nimbus shows: one node is one "account". */
export const ACCOUNT = '000000000000';
export const LATEST = '$LATEST';

export interface FunctionRef {
  app: string;
  fn: string;
  qualifier: string | undefined;
}

const ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d*:function:([^:]+)(?::([^:]+))?$/;

/** Parse a FunctionName (and the `Qualifier` query parameter) for a caller limited to `apps` (empty = every app). */
export function parseFunctionName(name: string, queryQualifier: string | undefined, apps: readonly string[]): FunctionRef {
  let base: string;
  let qualifier: string | undefined;
  const arn = ARN.exec(name);
  if (arn) [, base = '', qualifier] = arn;
  else if (name.startsWith('arn:')) throw invalid(`"${name}" is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<app>.<function>[:<qualifier>])`);
  else [base = '', qualifier] = name.split(':', 2) as [string, string | undefined];
  if (queryQualifier !== undefined && queryQualifier !== '') {
    if (qualifier !== undefined && qualifier !== queryQualifier) throw invalid(`the qualifier in the function name (${qualifier}) and the Qualifier parameter (${queryQualifier}) differ`);
    qualifier = queryQualifier;
  }
  const dot = base.indexOf('.');
  let app: string;
  let fn: string;
  if (dot >= 0) {
    app = base.slice(0, dot);
    fn = base.slice(dot + 1);
  } else if (apps.length === 1) {
    app = apps[0]!;
    fn = base;
  } else {
    throw new AwsError('ResourceNotFoundException', `Function not found: "${base}": name it <app>.<function> (only a key limited to one app may leave the app out)`);
  }
  if (!APP_NAME.test(app) || !FUNCTION_NAME.test(fn)) throw new AwsError('ResourceNotFoundException', `Function not found: "${base}" is not <app>.<function>`);
  return { app, fn, qualifier };
}

/** What AWS shows for a function: `arn:aws:lambda:<region>:000000000000:function:<app>.<fn>`. */
export function functionArn(region: string, app: string, fn: string, qualifier?: string): string {
  return `arn:aws:lambda:${region}:${ACCOUNT}:function:${app}.${fn}${qualifier === undefined ? '' : `:${qualifier}`}`;
}

export interface VersionSource {
  current(app: string, fn: string): FunctionVersion | undefined;
  getVersion(app: string, fn: string, version: number): Promise<FunctionVersion | undefined>;
  /** Aliases (built apart): the version an alias points at, undefined when there is no such alias. */
  resolveAlias?: ((app: string, fn: string, alias: string) => Promise<FunctionVersion | undefined>) | undefined;
}

/** The version a reference runs; ResourceNotFoundException for an unknown function, version or alias. */
export async function resolveVersion(ref: FunctionRef, src: VersionSource, region: string): Promise<FunctionVersion> {
  const active = src.current(ref.app, ref.fn);
  const arn = functionArn(region, ref.app, ref.fn, ref.qualifier);
  if (!active) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`);
  const q = ref.qualifier;
  if (q === undefined || q === LATEST) return active;
  if (/^\d+$/.test(q)) {
    const n = Number(q);
    const found = n === active.version ? active : await src.getVersion(ref.app, ref.fn, n);
    if (!found) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn} (no version ${q}; see \`nimbus versions ${ref.app} ${ref.fn}\`)`);
    return found;
  }
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(q)) throw invalid(`"${q}" is not a qualifier: a version number, $LATEST or an alias name`);
  const aliased = await src.resolveAlias?.(ref.app, ref.fn, q);
  if (!aliased) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn} (no alias "${q}")`);
  return aliased;
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message);
}
