/**
 * CloudFormation intrinsic functions in a SAM template, resolved where the template alone says
 * what they mean: `Ref` of a parameter (its Default) or of a resource (a bucket/topic/queue's
 * name, a function's name), `Fn::GetAtt` of such a resource (`Arn`, `TopicName`, `QueueName`),
 * `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`. Anything else (`Fn::If`, `Fn::ImportValue`,
 * `AWS::AccountId`, …) is a warning with its key path and resolves to undefined.
 */
import { isRecord, list, text } from './draft.js';
import type { KeyPath, Report } from './report.js';
import { arnOf, physicalName } from './resources.js';

export interface IntrinsicContext {
  parameters: Record<string, unknown>;
  resources: Record<string, unknown>;
  /** Logical id of an AWS::Serverless::Function → its Nimbus name. */
  functions: ReadonlyMap<string, string>;
  /** `AWS::StackName`: the app's name. */
  stackName: string;
}

class Unresolved extends Error {}

export class Intrinsics {
  /** Logical ids of resources some expression referred to. */
  readonly referenced = new Set<string>();

  constructor(
    private readonly ctx: IntrinsicContext,
    private readonly report: Report,
  ) {}

  /** The value with every intrinsic resolved; undefined (and a warning) where one cannot be. */
  resolve(value: unknown, path: KeyPath): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.resolve(v, [...path, i])).filter((v) => v !== undefined);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const fn = keys[0];
    if (keys.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::'))) {
      try {
        return this.call(fn, value[fn], path);
      } catch (err) {
        if (!(err instanceof Unresolved)) throw err;
        this.report.warn(path, `${err.message}: left out`);
        return undefined;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = this.resolve(v, [...path, k]);
      if (resolved !== undefined) out[k] = resolved;
    }
    return out;
  }

  private call(fn: string, arg: unknown, path: KeyPath): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.getAtt(id ?? '', attr ?? '');
      }
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::Join': {
        const [delimiter, values] = list(arg);
        const items = this.strict(values, path);
        if (!Array.isArray(items)) throw new Unresolved('Fn::Join needs [delimiter, [values]]');
        return items.map(text).join(text(delimiter));
      }
      case 'Fn::Select': {
        const [index, values] = list(arg);
        const items = this.strict(values, path);
        const i = Number(this.strict(index, path));
        if (!Array.isArray(items) || !(i in items)) throw new Unresolved('Fn::Select needs [index, [values]] with the index in the list');
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = list(arg);
        return text(this.strict(source, path)).split(text(delimiter));
      }
      default:
        throw new Unresolved(`${fn} cannot be resolved from the template alone`);
    }
  }

  /** Resolves or throws Unresolved (so an enclosing Sub/Join fails as a whole). */
  private strict(value: unknown, path: KeyPath): unknown {
    if (isRecord(value)) {
      const [fn] = Object.keys(value);
      if (fn !== undefined && Object.keys(value).length === 1 && (fn === 'Ref' || fn.startsWith('Fn::'))) return this.call(fn, value[fn], path);
    }
    if (Array.isArray(value)) return value.map((v) => this.strict(v, path));
    return value;
  }

  private ref(name: string): unknown {
    if (name === 'AWS::StackName') return this.ctx.stackName;
    if (name === 'AWS::NoValue') return undefined;
    if (name.startsWith('AWS::')) throw new Unresolved(`the pseudo parameter ${name} has no value on Nimbus`);
    const param = this.ctx.parameters[name];
    if (param !== undefined) {
      const fallback = isRecord(param) ? param['Default'] : undefined;
      if (fallback === undefined) throw new Unresolved(`parameter ${name} has no Default`);
      return fallback;
    }
    return this.resourceName(name);
  }

  private resourceName(id: string): string {
    const resource = this.ctx.resources[id];
    if (resource === undefined) throw new Unresolved(`${id} is neither a parameter nor a resource of the template`);
    this.referenced.add(id);
    const fn = this.ctx.functions.get(id);
    if (fn !== undefined) return fn;
    const name = physicalName(id, resource, (v) => this.strict(v, ['Resources', id]));
    if (name === undefined) throw new Unresolved(`${id} (${String(isRecord(resource) ? resource['Type'] : '')}) has no Nimbus equivalent`);
    return name;
  }

  private getAtt(id: string, attr: string): unknown {
    const resource = this.ctx.resources[id];
    if (attr === 'Arn') {
      const arn = arnOf(id, resource, (v) => this.strict(v, ['Resources', id]));
      if (arn !== undefined) {
        this.referenced.add(id);
        return arn;
      }
    }
    if (attr === 'TopicName' || attr === 'QueueName') return this.resourceName(id);
    throw new Unresolved(`Fn::GetAtt ${id}.${attr} cannot be resolved from the template`);
  }

  /** `Fn::Sub: "${Param}-x"` or `[text, { Var: value }]`; `${!Literal}` stays `${Literal}`. */
  private sub(arg: unknown, path: KeyPath): string {
    const [template, vars] = Array.isArray(arg) ? list(arg) : [arg, {}];
    const bound = isRecord(vars) ? vars : {};
    return text(template).replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
      if (bang === '!') return `\${${name}}`;
      if (name in bound) return text(this.strict(bound[name], path));
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return text(this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
      return text(this.ref(name));
    });
  }
}
