/**
 * Who calls the Lambda API and what they may do: the SigV4 signature names a Nimbus key (its AWS
 * credentials), and that key's scope and apps decide, as for the bearer API. A key limited to
 * other apps gets AccessDeniedException whether the function exists or not (as IAM answers before
 * looking), so it cannot probe for other apps' functions.
 */
import type { IncomingMessage } from 'node:http';
import type { Scope } from '../../domain/index.js';
import type { KeyService } from '../keys.js';
import { GRANTS, type Principal } from '../table.js';
import { AwsError } from './errors.js';
import { functionArn } from './names.js';
import { claimOf, verifySigV4 } from './sigv4.js';

export interface AwsCallerInfo {
  principal: Principal;
  /** The region the client signed for: ARNs in answers name it. */
  region: string;
}

/** Verify the request's signature over `body`; the caller, or an AwsError (403). */
export async function authenticate(req: IncomingMessage, body: Buffer, keys: KeyService, now: number): Promise<AwsCallerInfo> {
  const verified = await verifySigV4(
    { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
    {
      service: 'lambda',
      now,
      lookup: async (id) => {
        const caller = await keys.awsCaller(id);
        return caller && { secretAccessKey: caller.secretAccessKey, caller };
      },
    },
  );
  await keys.used(verified.caller);
  return { principal: verified.caller.principal, region: verified.region };
}

/**
 * Refuse a request whose signature cannot be good before its body is read: malformed, out of the
 * date window, or naming no live key. Unauthenticated callers cannot make the node buffer 6 MB.
 */
export async function precheck(req: IncomingMessage, keys: KeyService, now: number): Promise<void> {
  const claim = claimOf(req.headers, { service: 'lambda', now });
  if (!(await keys.awsCaller(claim.accessKeyId))) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid: unknown, expired or revoked access key id');
}

/** AccessDeniedException unless the key has one of `scopes` (admin keys have all). */
export function requireScope(who: AwsCallerInfo, action: string, scopes: readonly Scope[]): void {
  if (scopes.some((s) => GRANTS[who.principal.scope].includes(s))) return;
  throw new AwsError('AccessDeniedException', `key ${who.principal.name} (scope ${who.principal.scope}) is not authorized to perform: lambda:${action}; it needs scope ${scopes.join(' or ')}`);
}

/** AccessDeniedException when the key is limited to other apps. */
export function requireApp(who: AwsCallerInfo, action: string, app: string, fn: string): void {
  const { apps } = who.principal;
  if (apps.length === 0 || apps.includes(app)) return;
  throw new AwsError(
    'AccessDeniedException',
    `key ${who.principal.name} is not authorized to perform: lambda:${action} on resource: ${functionArn(who.region, app, fn)}: it is limited to app ${apps.join(', ')}`,
  );
}
