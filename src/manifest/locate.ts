/**
 * Maps a key path of the parsed manifest back to a line and column of the YAML text, so every
 * problem points at the spot to edit.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, ParsedNode } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

/**
 * The position of the value at `path`, or of its key when `atKey`. When the path does not exist
 * (a required key is missing) it points at the key of the deepest mapping entry that does.
 */
export function locate(doc: Document.Parsed<ParsedNode>, lineCounter: LineCounter, path: readonly (string | number)[], atKey = false): Position {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair === undefined) break;
      const keyStart = startOf(pair.key) ?? offset;
      node = pair.value;
      offset = last && atKey ? keyStart : (startOf(node) ?? keyStart);
      if (!last) offset = keyStart;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      const start = startOf(node);
      if (start === undefined) break;
      offset = start;
    } else {
      break;
    }
  }
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

// An empty value (`f:` with nothing after it) has a zero-width range after the colon; the
// key is the better place to point at, so such nodes count as having no position.
function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (range === undefined || range === null || range[0] === range[1]) return undefined;
  return range[0];
}
