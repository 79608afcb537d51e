/** `GET /2015-03-31/functions/` (ListFunctions) and `GET /2015-03-31/functions/{FunctionName}` (GetFunction). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { uuidv7 } from '../../shared/ids.js';
import type { ControlDeps } from '../table.js';
import { authenticate, requireApp, requireScope } from './auth.js';
import { sendAwsError, toAwsError } from './errors.js';
import { configuration } from './functions.js';
import { parseFunctionName, resolveVersion } from './names.js';

/** ListFunctions answers at most this many per page (AWS's maximum). */
const PAGE = 50;
const EMPTY = Buffer.alloc(0);

/** ListFunctions: the active version of every function the key may see, `<app>.<function>` order, paged by `Marker`. */
export async function listFunctions(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, query: { Marker?: string | undefined; MaxItems?: string | undefined }): Promise<void> {
  await answer(req, res, async () => {
    const who = await authenticate(req, EMPTY, deps.keys, Date.now());
    requireScope(who, 'ListFunctions', ['read', 'invoke']);
    const { apps } = who.principal;
    const all = [...deps.deployments.all()].filter((f) => apps.length === 0 || apps.includes(f.app)).sort((a, b) => `${a.app}.${a.name}`.localeCompare(`${b.app}.${b.name}`));
    const start = /^\d+$/.test(query.Marker ?? '') ? Number(query.Marker) : 0;
    const size = Math.min(PAGE, Math.max(1, Number(query.MaxItems) || PAGE));
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? { NextMarker: String(start + size) } : {};
    return { Functions: page.map((f) => configuration(f, who.region)), ...next };
  });
}

/** GetFunction: one version's configuration (`Qualifier` as for Invoke). */
export async function getFunction(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, functionName: string, qualifier: string | undefined): Promise<void> {
  await answer(req, res, async () => {
    const who = await authenticate(req, EMPTY, deps.keys, Date.now());
    requireScope(who, 'GetFunction', ['read', 'invoke']);
    const ref = parseFunctionName(functionName, qualifier, who.principal.apps);
    requireApp(who, 'GetFunction', ref.app, ref.fn);
    const fn = await resolveVersion(ref, { current: (a, f) => deps.deployments.current(a, f), getVersion: (a, f, n) => deps.store.getVersion(a, f, n), resolveAlias: deps.resolveAlias }, who.region);
    return { Configuration: configuration(fn, who.region), Code: { RepositoryType: 'Nimbus', Location: '' }, Tags: { 'nimbus:app': fn.app } };
  });
}

async function answer(req: IncomingMessage, res: ServerResponse, work: () => Promise<unknown>): Promise<void> {
  const requestId = uuidv7();
  req.resume();
  try {
    const body = JSON.stringify(await work());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': requestId });
    res.end(body);
  } catch (err) {
    sendAwsError(res, toAwsError(err), requestId);
  }
}
