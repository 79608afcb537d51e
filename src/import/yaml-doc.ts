/**
 * Reads a template's YAML: CloudFormation short tags (`!Ref`, `!Sub`, `!GetAtt`, …) become the
 * long forms (`{ Ref }`, `{ 'Fn::Sub' }`) they stand for, and key paths map back to lines.
 */
import { LineCounter, parseDocument, YAMLMap } from 'yaml';
import type { ParsedNode, Document, Tags } from 'yaml';
import { locate } from '../manifest/index.js';
import { NimbusError } from '../shared/errors.js';
import type { KeyPath } from './report.js';

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or'];

function longName(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

/** Every short tag in its three YAML forms (scalar, sequence, mapping). */
const CFN_TAGS: Tags = ['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => {
  const key = longName(name);
  const wrap = (value: unknown): YAMLMap => {
    const map = new YAMLMap();
    map.set(key, value);
    return map;
  };
  return [
    // `!GetAtt Queue.Arn` is the short form of `Fn::GetAtt: [Queue, Arn]`.
    { tag: `!${name}`, resolve: (s: string) => ({ [key]: name === 'GetAtt' ? splitOnce(s) : s }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: wrap },
    { tag: `!${name}`, collection: 'map' as const, resolve: wrap },
  ];
});

function splitOnce(s: string): string[] {
  const dot = s.indexOf('.');
  return dot < 0 ? [s] : [s.slice(0, dot), s.slice(dot + 1)];
}

export interface TemplateDocument {
  raw: unknown;
  position: (path: KeyPath) => { line: number; column: number };
}

/** @throws NimbusError TEMPLATE_UNSUPPORTED when the file is not YAML. */
export function readTemplateYaml(text: string, file: string): TemplateDocument {
  const lineCounter = new LineCounter();
  const doc: Document.Parsed<ParsedNode> = parseDocument(text, { lineCounter, customTags: CFN_TAGS, prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = lineCounter.linePos(first.pos[0]);
    throw new NimbusError('TEMPLATE_UNSUPPORTED', `${file}:${at.line}:${at.col}: not valid YAML: ${first.message.split('\n')[0] ?? ''}`, {
      details: { file, issues: [{ path: '', line: at.line, column: at.col, message: first.message }] },
    });
  }
  return { raw: doc.toJS({ maxAliasCount: 100 }), position: (path) => locate(doc, lineCounter, path) };
}
