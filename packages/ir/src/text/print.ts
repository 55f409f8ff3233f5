// The canonical text form of the IR (printer). One node per line, nested regions indented two spaces:
//   %3: f32[2,2] = contract(%0, %2) {accDtype="float32", combiner=mul(a0, a1), ...} loc("MatMul", "mm1")
// Op fields print as `{name=value}` in sorted name order, each spelled by its kind in op-fields.ts; value ids
// print as `%id` exactly, and user names as JSON strings. parse.ts is the exact inverse.

import type { AffineMap } from '../affine.js';
import type { Graph, Node, Region, Value } from '../graph.js';
import type { Op, QuantScheme } from '../ops.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim } from '../types.js';
import { FIELD_ORDER, type FieldKind, OP_FIELDS } from './op-fields.js';
import { printMap, printNumber, printScalar, printType, quote } from './print-scalar.js';
import { printTensor } from './tensor-text.js';

const printFieldDim = (d: Dim): string => (typeof d === 'number' ? printNumber(d) : quote(d));
const printList = <T>(xs: readonly T[], item: (x: T) => string): string => `[${xs.map(item).join(', ')}]`;
const printNullable = (v: number | null): string => (v === null ? '_' : printNumber(v));

function printScheme(q: QuantScheme): string {
  return `{axis=${printNullable(q.axis)}, blockSize=${printNullable(q.blockSize)}, saturate=${q.saturate}}`;
}

/** One field value; `indent` is the indentation of the line holding it (regions nest below it). */
function printField(kind: FieldKind, v: unknown, indent: string): string {
  if (typeof kind === 'object') return quote(v as string);
  switch (kind) {
    case 'int': case 'number': return printNumber(v as number);
    case 'bool': return String(v as boolean);
    case 'dim': return printFieldDim(v as Dim);
    case 'dims': return printList(v as readonly Dim[], printFieldDim);
    case 'ints': return printList(v as readonly number[], printNumber);
    case 'bools': return printList(v as readonly boolean[], String);
    case 'dtype': case 'text': return quote(v as string);
    case 'scalar': return printScalar(v as ScalarExpr);
    case 'scalar?': return v === null ? '_' : printScalar(v as ScalarExpr);
    case 'scalars': return printList(v as readonly ScalarExpr[], printScalar);
    case 'maps': return printList(v as readonly AffineMap[], printMap);
    case 'padValues': return printList(v as readonly (number | null)[], printNullable);
    case 'region': return printRegion(v as Region, indent);
    case 'tensor': return printTensor(v as HostTensor);
    case 'scheme': return printScheme(v as QuantScheme);
    default: {
      const never: never = kind;
      throw new Error(`unknown field kind ${String(never)}`);
    }
  }
}

/** `{name=value, ...}` in sorted name order, or '' for ops without fields. */
export function printOpFields(op: Op, indent = ''): string {
  const names = FIELD_ORDER[op.kind];
  if (names.length === 0) return '';
  const kinds = OP_FIELDS[op.kind] as Readonly<Record<string, FieldKind>>;
  const fields = op as unknown as Readonly<Record<string, unknown>>;
  return ` {${names.map((name) => `${name}=${printField(kinds[name]!, fields[name], indent)}`).join(', ')}}`;
}

const printValueDef = (v: Value): string => `%${v.id}: ${printType(v.type)}`;
const printRef = (id: number): string => `%${id}`;

function printRegion(r: Region, indent: string): string {
  const inner = `${indent}  `;
  const body = r.nodes.map((n) => `${inner}${printNode(n, inner)}\n`).join('');
  const results = r.results.length ? ` ${r.results.map(printRef).join(', ')}` : '';
  return `^(${r.params.map(printValueDef).join(', ')}) {\n${body}${inner}yield${results}\n${indent}}`;
}

/** One node without its leading indentation; `indent` is used for the lines of nested regions. */
export function printNode(n: Node, indent = '  '): string {
  const outs = n.outputs.length ? `${n.outputs.map(printValueDef).join(', ')} = ` : '';
  const loc = n.origin ? ` loc(${quote(n.origin.opType)}, ${quote(n.origin.node)})` : '';
  return `${outs}${n.op.kind}(${n.inputs.map(printRef).join(', ')})${printOpFields(n.op, indent)}${loc}`;
}

export function printGraph(g: Graph): string {
  const ins = g.inputs.map((i) => `${printValueDef(i.value)} ${quote(i.name)}`).join(', ');
  const body = g.nodes.map((n) => `  ${printNode(n, '  ')}\n`).join('');
  const outs = g.outputs.length ? ` ${g.outputs.map((o) => `%${o.value} ${quote(o.name)}`).join(', ')}` : '';
  return `graph(${ins}) {\n${body}  return${outs}\n}\n`;
}
