/**
 * ListFunctions and GetFunction: a Nimbus function version as AWS's FunctionConfiguration, with
 * the fields clients read. Names are always `<app>.<function>`, which resolves for every key.
 */
import type { FunctionVersion } from '../../domain/index.js';
import { functionArn } from './names.js';

/** Lambda's runtime identifier for the Node.js major version instances run on. */
export const RUNTIME = `nodejs${process.versions.node.split('.')[0]}.x`;

export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Role: string;
  Handler: string;
  CodeSize: number;
  CodeSha256: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  Version: string;
  State: 'Active';
  LastUpdateStatus: 'Successful';
  PackageType: 'Zip';
  Architectures: string[];
}

export function configuration(v: FunctionVersion, region: string): FunctionConfiguration {
  const file = v.config.handler.file.replace(/\.[cm]?[jt]sx?$/, '');
  return {
    FunctionName: `${v.app}.${v.name}`,
    FunctionArn: functionArn(region, v.app, v.name),
    Runtime: RUNTIME,
    Role: `arn:aws:iam::000000000000:role/nimbus-${v.app}`,
    Handler: `${file}.${v.config.handler.export ?? 'handler'}`,
    CodeSize: v.codeSize,
    // AWS shows the base64 SHA-256 of the package; ours is of the bundle.
    CodeSha256: /^[0-9a-f]{64}$/.test(v.codeHash) ? Buffer.from(v.codeHash, 'hex').toString('base64') : v.codeHash,
    Description: '',
    Timeout: v.config.timeout,
    MemorySize: v.config.memory,
    LastModified: lastModified(v.createdAt),
    Version: String(v.version),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
  };
}

/** AWS's own format: `2026-11-30T22:13:17.000+0000`. */
function lastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
