/**
 * Errors of the Lambda API in AWS's own shape: `x-amzn-ErrorType: <Type>` and a JSON body
 * `{"Type": "User" | "Service", "message": ...}`. The AWS SDK's deserialiser reads the header and
 * throws the error class of that name (`ResourceNotFoundException`, `TooManyRequestsException`…),
 * so these names are the SDK's, not ours (see @aws-sdk/client-lambda's error classes).
 */
import type { ServerResponse } from 'node:http';
import { toNimbusError, type ErrorCode } from '../../shared/errors.js';

/** Error types the Lambda API answers, with their HTTP status (as AWS answers them). */
export const AWS_ERRORS = {
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  InvalidParameterValueException: 400,
  InvalidRequestContentException: 400,
  UnsupportedMediaTypeException: 415,
  RequestTooLargeException: 413,
  TooManyRequestsException: 429,
  ServiceException: 500,
} as const;
export type AwsErrorType = keyof typeof AWS_ERRORS;

export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    readonly type: AwsErrorType,
    message: string,
    /** Extra body fields (`Reason` of a throttle) and headers (`retry-after`). */
    readonly extra: { body?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

/** Nimbus's codes as the Lambda API answers them (function failures are not here: they are 200 + X-Amz-Function-Error). */
const FROM_NIMBUS: Partial<Record<ErrorCode, AwsErrorType>> = {
  FUNCTION_NOT_FOUND: 'ResourceNotFoundException',
  APP_NOT_FOUND: 'ResourceNotFoundException',
  NOT_FOUND: 'ResourceNotFoundException',
  THROTTLED: 'TooManyRequestsException',
  OVERLOADED: 'TooManyRequestsException',
  SPAWN_FAILED: 'TooManyRequestsException',
  PAYLOAD_TOO_LARGE: 'RequestTooLargeException',
  BAD_REQUEST: 'InvalidRequestContentException',
  FORBIDDEN: 'AccessDeniedException',
};

/** Any thrown value as an AwsError (unknown ones are a ServiceException, as AWS's 500). */
export function toAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  const e = toNimbusError(err);
  const type = FROM_NIMBUS[e.code] ?? 'ServiceException';
  if (type === 'TooManyRequestsException') {
    return new AwsError(type, e.message, { body: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }, headers: { 'retry-after': '1' } });
  }
  return new AwsError(type, type === 'ServiceException' ? 'an internal error occurred; see the node log' : e.message);
}

export function sendAwsError(res: ServerResponse, err: AwsError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = AWS_ERRORS[err.type];
  const body = JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message: err.message, ...err.extra.body });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': err.type,
    'x-amzn-requestid': requestId,
    ...err.extra.headers,
  });
  res.end(body);
}
