// Typed access to an ONNX node's attributes, with defaults and errors that name the node.
// Converters read attributes only through this, so a wrong kind or a missing required one fails cleanly.

import { CompileError, type HostTensor } from '@tensorc/ir';

/** A decoded attribute value (the decoder turns AttributeProto into one of these). */
export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: HostTensor }
  | { readonly kind: 'graph'; readonly value: unknown }
  | { readonly kind: 'graphs'; readonly value: readonly unknown[] };

export class Attributes {
  private readonly used = new Set<string>();
  constructor(
    private readonly attrs: ReadonlyMap<string, AttrValue>,
    private readonly where: { node: string; opType: string },
  ) {}

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  private get<K extends AttrValue['kind']>(name: string, kind: K): Extract<AttrValue, { kind: K }> | undefined {
    const a = this.attrs.get(name);
    if (a === undefined) return undefined;
    this.used.add(name);
    if (a.kind !== kind) {
      throw new CompileError('INVALID_MODEL', `attribute "${name}" should be ${kind} but is ${a.kind}`, this.where);
    }
    return a as Extract<AttrValue, { kind: K }>;
  }

  private required<T>(name: string, v: T | undefined): T {
    if (v === undefined) throw new CompileError('INVALID_MODEL', `required attribute "${name}" is missing`, this.where);
    return v;
  }

  int(name: string): number | undefined;
  int(name: string, dflt: number): number;
  int(name: string, dflt?: number): number | undefined {
    return this.get(name, 'int')?.value ?? dflt;
  }
  float(name: string): number | undefined;
  float(name: string, dflt: number): number;
  float(name: string, dflt?: number): number | undefined {
    return this.get(name, 'float')?.value ?? dflt;
  }
  string(name: string): string | undefined;
  string(name: string, dflt: string): string;
  string(name: string, dflt?: string): string | undefined {
    return this.get(name, 'string')?.value ?? dflt;
  }
  ints(name: string): readonly number[] | undefined;
  ints(name: string, dflt: readonly number[]): readonly number[];
  ints(name: string, dflt?: readonly number[]): readonly number[] | undefined {
    return this.get(name, 'ints')?.value ?? dflt;
  }
  floats(name: string): readonly number[] | undefined {
    return this.get(name, 'floats')?.value;
  }
  strings(name: string): readonly string[] | undefined {
    return this.get(name, 'strings')?.value;
  }
  tensor(name: string): HostTensor | undefined {
    return this.get(name, 'tensor')?.value;
  }
  graph(name: string): unknown {
    return this.get(name, 'graph')?.value;
  }
  requiredInt(name: string): number {
    return this.required(name, this.int(name));
  }
  requiredInts(name: string): readonly number[] {
    return this.required(name, this.ints(name));
  }
  requiredGraph(name: string): unknown {
    return this.required(name, this.graph(name));
  }

  /** Refuses an attribute value the converter does not implement, instead of silently ignoring it. */
  unsupported(name: string, reason: string): never {
    throw new CompileError('UNSUPPORTED_ATTRIBUTE', `attribute ${name}: ${reason}`, this.where);
  }
}
