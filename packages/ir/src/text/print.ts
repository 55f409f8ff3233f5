// The canonical text form of the IR (printer). One node per line, regions indented; op fields printed as
// `{key=value}` in sorted key order, so equal ops print equally. Special forms: scalar expressions
// (`add(a0, 1:f32)`), affine maps (`(d0, d2*2+d3-1)`), regions, tensors (`tensor<f32[2]>[1, 2]`, hex for
// large ones) and types (`f32[N,"2*N"]`). parse.ts is its exact inverse.

import type { AffineExpr, AffineMap } from '../affine.js';
import { DTYPE_INFO, type DType } from '../dtype.js';
import type { Graph, Node, Region, Value } from '../graph.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim, ValueType } from '../types.js';

/** Tensors with more elements than this print as hex bytes (exact, compact). */
export const INLINE_TENSOR_LIMIT = 16;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function printNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v); // shortest decimal that reads back to the same double
}

export const printDim = (d: Dim): string => (typeof d === 'number' ? String(d) : IDENT.test(d) ? d : JSON.stringify(d));

export function printType(t: ValueType): string {
  switch (t.kind) {
    case 'tensor': return `${DTYPE_INFO[t.dtype].short}[${t.shape.map(printDim).join(',')}]`;
    case 'sequence': return `seq<${printType(t.elem)}>`;
    case 'optional': return `opt<${printType(t.elem)}>`;
  }
}

export function printScalar(e: ScalarExpr): string {
  switch (e.k) {
    case 'arg': return `a${e.i}`;
    case 'acc': return 'acc';
    case 'lit': return `${typeof e.v === 'bigint' ? e.v.toString() : printNumber(e.v)}:${DTYPE_INFO[e.dtype].short}`;
    case 'un': return `${e.op}(${printScalar(e.a)})`;
    case 'bin': return `${e.op}(${printScalar(e.a)}, ${printScalar(e.b)})`;
    case 'select': return `select(${printScalar(e.c)}, ${printScalar(e.a)}, ${printScalar(e.b)})`;
    case 'cast': return `cast<${DTYPE_INFO[e.to].short}${e.saturate ? ',sat' : ''}>(${printScalar(e.a)})`;
  }
}

export function printAffine(e: AffineExpr): string {
  let s = '';
  for (const t of e.terms) {
    const mag = Math.abs(t.coeff);
    const body = mag === 1 ? `d${t.idx}` : `d${t.idx}*${mag}`;
    s += t.coeff < 0 ? `-${body}` : s === '' ? body : `+${body}`;
  }
  if (e.offset !== 0 || s === '') s += e.offset < 0 ? String(e.offset) : s === '' ? String(e.offset) : `+${e.offset}`;
  return s;
}

export const printMap = (m: AffineMap): string => `(${m.map(printAffine).join(', ')})`;

function hexOf(t: HostTensor): string {
  const d = t.data as Float64Array | BigInt64Array | BigUint64Array;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function printTensor(t: HostTensor): string {
  const head = `tensor<${printType({ kind: 'tensor', dtype: t.dtype, shape: t.shape })}>`;
  if (t.dtype === 'string') return `${head}${JSON.stringify(t.data)}`;
  if (t.data.length > INLINE_TENSOR_LIMIT) return `${head}hex"${hexOf(t)}"`;
  const items = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : printNumber(v)));
  return `${head}[${items.join(', ')}]`;
}

const SCALAR_FIELDS = new Set(['combiner', 'epilogue', 'expr']);
const REGION_FIELDS = new Set(['body', 'thenBranch', 'elseBranch']);

function printField(key: string, v: unknown, indent: string): string {
  if (v === null) return '_';
  if (SCALAR_FIELDS.has(key)) return printScalar(v as ScalarExpr);
  if (key === 'maps') return `[${(v as AffineMap[]).map(printMap).join(', ')}]`;
  if (REGION_FIELDS.has(key)) return printRegion(v as Region, indent);
  if (key === 'value' && typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v) return printTensor(v as HostTensor);
  return printPlain(v);
}

function printPlain(v: unknown): string {
  if (v === null) return '_';
  if (typeof v === 'number') return printNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(printPlain).join(', ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${k}=${printPlain(o[k])}`).join(', ')}}`;
  }
  throw new Error(`cannot print ${typeof v}`);
}

const printValue = (v: Value): string => `%${v.id}: ${printType(v.type)}`;

function printRegion(r: Region, indent: string): string {
  const inner = indent + '  ';
  const lines = r.nodes.map((n) => inner + printNode(n, inner));
  return `^(${r.params.map(printValue).join(', ')}) {\n${lines.map((l) => l + '\n').join('')}${inner}yield ${r.results.map((id) => `%${id}`).join(', ')}\n${indent}}`;
}

export function printNode(n: Node, indent = '  '): string {
  const op = n.op as unknown as Record<string, unknown>;
  const fields = Object.keys(op).filter((k) => k !== 'kind').sort();
  const attrs = fields.length ? ` {${fields.map((k) => `${k}=${printField(k, op[k], indent)}`).join(', ')}}` : '';
  const outs = n.outputs.map(printValue).join(', ');
  const loc = n.origin ? ` loc(${JSON.stringify(n.origin.opType)}, ${JSON.stringify(n.origin.node)})` : '';
  return `${outs} = ${n.op.kind}(${n.inputs.map((id) => `%${id}`).join(', ')})${attrs}${loc}`;
}

export function printGraph(g: Graph): string {
  const ins = g.inputs.map((i) => `${printValue(i.value)} ${JSON.stringify(i.name)}`).join(', ');
  const body = g.nodes.map((n) => `  ${printNode(n, '  ')}\n`).join('');
  const outs = g.outputs.map((o) => `%${o.value} ${JSON.stringify(o.name)}`).join(', ');
  return `graph(${ins}) {\n${body}  return ${outs}\n}\n`;
}

export const dtypeShort = (d: DType): string => DTYPE_INFO[d].short;
