/**
 * The OpenAPI paths and schemas of the secret endpoints (secrets-routes.ts), from openapi.ts's
 * helpers. Examples show names and times only: never a value.
 */
import type { OpenApiHelpers } from './openapi-storage.js';

type Schema = Record<string, unknown>;

export function secretsOpenApi(h: OpenApiHelpers) {
  const { ref, obj, arrayOf, json, ok, errors, param, str, epochMs } = h;
  const schemas: Record<string, Schema> = {
    SecretInfo: { ...obj({ name: str, updatedAt: epochMs }), examples: [{ name: 'db-password', updatedAt: 1764500000000 }] },
  };
  const nameParam = param('name', 'secret name: a letter, then letters, digits, "_" or "-", at most 64');
  const paths = {
    '/v1/apps/{app}/secrets': {
      parameters: [param('app', 'app name (need not be deployed yet)')],
      get: {
        summary: "list the app's secrets: names and update times, never values",
        responses: { '200': ok('secrets', obj({ secrets: arrayOf(ref('SecretInfo')) })), ...errors() },
      },
    },
    '/v1/apps/{app}/secrets/{name}': {
      parameters: [param('app', 'app name (need not be deployed yet)'), nameParam],
      put: {
        summary: 'set a secret (encrypted at rest); instances of functions that use it are replaced',
        requestBody: { required: true, ...json({ ...obj({ value: { type: 'string', maxLength: 65536, description: 'the value, at most 64 KB of UTF-8' } }), examples: [{ value: '<the secret>' }] }) },
        responses: {
          '200': ok('replaced', { ...ref('SecretInfo'), description: 'plus created: false' }),
          '201': ok('created', { ...ref('SecretInfo'), description: 'plus created: true' }),
          ...errors('VALUE_TOO_LARGE'),
        },
      },
      delete: {
        summary: 'remove a secret (refused while an active function names it)',
        responses: { '200': ok('deleted', obj({ deleted: { const: true } })), ...errors('SECRET_NOT_FOUND', 'SECRET_IN_USE') },
      },
    },
    '/v1/secrets/rotate-master': {
      post: {
        summary: 're-encrypt every secret under a new master key, in one transaction',
        description:
          'With the key file (<data-dir>/master.key) the node makes the new key and replaces the file. With NIMBUS_MASTER_KEY, send the new key and set NIMBUS_MASTER_KEY to it before the next start.',
        requestBody: { required: false, ...json(obj({ newKey: { type: 'string', description: '32 bytes as base64 or 64 hex digits' } }, ['newKey'])) },
        responses: { '200': ok('rotated', obj({ rotated: { type: 'integer' }, keySource: { enum: ['file', 'option'] } })), ...errors('MASTER_KEY_INVALID') },
      },
    },
  };
  return { schemas, paths };
}
