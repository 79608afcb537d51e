/** Invocation records, fetched by id once the server has written them (it may batch writes). */
import type { InvocationRecord } from '../../src/client/index.js';
import type { NimbusNode } from './nimbus.js';
import { sleep } from './proc.js';

/** Records for `ids`, in the same order; null where the server never produced one. */
export async function fetchRecords(node: NimbusNode, ids: Array<string | null>): Promise<Array<InvocationRecord | null>> {
  const out: Array<InvocationRecord | null> = [];
  for (const id of ids) {
    let rec: InvocationRecord | null = null;
    for (let attempt = 0; id !== null && rec === null && attempt < 10; attempt++) {
      try {
        rec = await node.client.getInvocation(id);
      } catch {
        await sleep(300);
      }
    }
    out.push(rec);
  }
  return out;
}
