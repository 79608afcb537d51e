/** Node ids of a cluster (`nimbus up --node-id`): lowercase letters, digits and dashes, 1–63 characters. */
export const NODE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}

/** A PostgreSQL connection URL (postgres:// or postgresql://), as `--db` takes it. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(url);
}

/** A database URL without its password, for messages and banners: postgres://u:secret@h/db → postgres://u@h/db. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(the URL given)';
  }
}
