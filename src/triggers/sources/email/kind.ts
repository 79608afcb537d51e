/** `email: orders@shop.example` or `*@support.shop.example`: the address (pattern) is owned by the app that names it. */
import type { EmailTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const emailKind: TriggerKindSpec<EmailTrigger> = {
  key: 'email',
  options: [],
  // A stage copy keeps its addresses (write `orders@${stage}.shop.example` to give each stage its own).
  owns: (t) => [{ kind: 'email', name: t.address }],
  label: (t) => `email:${t.address}`,
};
