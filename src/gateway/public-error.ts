/**
 * What a public caller learns when a function fails: the code, the invocation id and a generic
 * sentence, never the function's own text (an exception message, a stack, an init error, a header
 * it tried to send), which may hold secrets or internals. The full message is in the function's
 * logs and invocation record (`nimbus logs`, `nimbus invocations`); the authenticated control-API
 * invoke still returns it, as Lambda's Invoke returns errorType/errorMessage.
 */
import { NimbusError, type ErrorCode } from '../shared/errors.js';

const GENERIC: Partial<Record<ErrorCode, string>> = {
  FUNCTION_ERROR: 'the function failed while handling the request',
  FUNCTION_INIT_ERROR: 'the function failed to start',
  FUNCTION_CRASHED: 'the function stopped while handling the request',
  FUNCTION_OOM: 'the function ran out of memory',
  FUNCTION_TIMEOUT: 'the function did not answer in time',
  INVALID_RESPONSE: 'the function returned a response the gateway cannot send',
  RESPONSE_TOO_LARGE: 'the function returned a response larger than the gateway sends',
};

/** `error` as a public caller may see it: function failures get a generic message and no details. */
export function publicError(error: NimbusError): NimbusError {
  const generic = GENERIC[error.code];
  if (generic === undefined) return error;
  return new NimbusError(error.code, `${generic}; its owner can find the cause in the function's logs under the invocation id`);
}
