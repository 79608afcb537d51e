/** `webhook: /hooks/github`: a signed POST, served by the gateway (see ../http/source.ts); its path is a route. */
import type { WebhookTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const webhookKind: TriggerKindSpec<WebhookTrigger> = {
  key: 'webhook',
  options: ['secret', 'header', 'deliveryHeader', 'timestampHeader', 'tolerance'],
  route: (t) => ({ method: 'POST', path: t.path, declared: `webhook ${t.path}` }),
  label: (t) => `webhook:POST ${t.path}`,
};
