// Parse errors: every failure is a CompileError PARSE_ERROR naming the line, the column and what was expected.

import { describe, expect, it } from 'vitest';
import { CompileError } from '../errors.js';
import { parseGraph, parseScalar } from './index.js';

/** The message of the PARSE_ERROR that parsing `text` throws. */
function errorOf(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe('PARSE_ERROR');
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
}
const graphError = (text: string) => errorOf(() => parseGraph(text));
const wrap = (line: string) => `graph(%0: f32[2] "x") {\n  ${line}\n  return %0 "y"\n}\n`;

describe('IR text parse errors', () => {
  it('name line, column and the expectation', () => {
    expect(graphError('graph() {\n  %1: f32[2] = nosuchop()\n  return\n}')).toBe('line 2 col 16: expected an op kind, found "nosuchop"');
    expect(graphError('graph(%0: f99[2] "x") {\n  return\n}')).toBe('line 1 col 11: expected a dtype like f32, found "f99"');
    expect(graphError('graph() {\n  return\n')).toBe('line 3 col 1: expected "}", found end of input');
    expect(graphError('graph(%0: f32[2] x) {}')).toBe('line 1 col 18: expected the input name as a string, found "x"');
    expect(graphError('graph(%0: f32[2] "x" {}')).toBe('line 1 col 22: expected "," or ")", found "{"');
    expect(graphError('grph() {}')).toBe('line 1 col 1: expected "graph", found "grph"');
    expect(graphError('graph() {\n  return\n}\n}')).toBe('line 4 col 1: expected end of input, found "}"');
    expect(graphError('graph() {\n  %1 f32[2] = reshape()\n  return\n}')).toBe('line 2 col 6: expected ":", found "f32"');
    expect(graphError('graph() {\n  % = reshape()\n}')).toBe('line 2 col 3: expected a value number after %, found "%"');
    expect(graphError('graph("x") {}')).toBe('line 1 col 7: expected a value like %3, found "\\"x\\""');
    expect(graphError('graph(%0: f32[2] "x\n") {}')).toMatch(/^line 1 col 18: unterminated string/);
    expect(graphError('graph(%0: f32[2] "\\q") {}')).toBe('line 1 col 18: malformed string literal, found "\\"\\\\q\\""');
    expect(graphError('graph() {\n  $\n}')).toBe('line 2 col 3: unexpected character, found "$"');
  });

  it('check op fields against the op kind', () => {
    expect(graphError(wrap('%1: f32[2] = softmax(%0) {axis=0}'))).toBe('line 2 col 16: softmax is missing field log, found "softmax"');
    expect(graphError(wrap('%1: f32[2] = softmax(%0)'))).toBe('line 2 col 16: softmax is missing fields axis, log, found "softmax"');
    expect(graphError(wrap('%1: f32[2] = softmax(%0) {axis=0, log=false, beta=1}'))).toBe('line 2 col 48: softmax has no field beta (fields: axis, log), found "beta"');
    expect(graphError(wrap('%1: f32[2] = softmax(%0) {axis=0, axis=1, log=false}'))).toBe('line 2 col 37: duplicate field axis, found "axis"');
    expect(graphError(wrap('%1: f32[2] = softmax(%0) {axis=0.5, log=false}'))).toBe('line 2 col 34: expected an integer, found "0.5"');
    expect(graphError(wrap('%1: f32[2] = softmax(%0) {axis=0, log=1}'))).toBe('line 2 col 41: expected true or false, found "1"');
    expect(graphError(wrap('%1: f32[2] = reduce(%0) {axes=[0], keepDims=true, reducer="sum"}'))).toBe('line 2 col 61: expected one of add, mul, max, min, found "\\"sum\\""');
    expect(graphError(wrap('%1: f32[2] = reshape(%0) {shape=[2]}'))).toBe('line 2 col 29: reshape has no field shape, found "shape"');
    expect(graphError(wrap('%1: f32[2] = quantize(%0) {scheme={axis=_, saturate=true}}'))).toBe('line 2 col 37: a quantization scheme needs axis, blockSize and saturate, found "{"');
  });

  it('check constants', () => {
    expect(graphError(wrap('%1: f32[2] = constant() {value=tensor<f32[2]>[1]}'))).toBe('line 2 col 48: tensor has 1 elements for shape [2], found "["');
    expect(graphError(wrap('%1: f32[N] = constant() {value=tensor<f32[N]>[1]}'))).toBe('line 2 col 41: constant shapes are static, found "f32"');
    expect(graphError(wrap('%1: i64[1] = constant() {value=tensor<i64[1]>[1.5]}'))).toBe('line 2 col 49: expected a int64 integer, found "1.5"');
    expect(graphError(wrap('%1: u64[1] = constant() {value=tensor<u64[1]>[-1]}'))).toBe('line 2 col 49: -1 is out of the uint64 range, found "-1"');
    expect(graphError(wrap('%1: f32[1] = constant() {value=tensor<f32[1]>[1.2.3]}'))).toBe('line 2 col 49: malformed number, found "1.2.3"');
    expect(graphError(wrap('%1: f32[1] = constant() {value=tensor<f32[1]>hex"0000803"}'))).toBe('line 2 col 51: malformed hex bytes (lower-case pairs expected), found "\\"0000803\\""');
    expect(graphError(wrap('%1: f32[2] = constant() {value=tensor<f32[2]>hex"0000803f"}'))).toBe('line 2 col 48: tensor has 1 elements for shape [2], found "hex"');
    expect(graphError(wrap('%1: f32[1] = constant() {value=tensor<f32[1]>hex"00803f"}'))).toBe('line 2 col 51: hex length is not a multiple of 4 bytes, found "\\"00803f\\""');
    expect(graphError(wrap('%1: bool[1] = constant() {value=tensor<bool[1]>hex"02"}'))).toBe('line 2 col 53: a hex code is not a bool value, found "\\"02\\""');
    expect(graphError(wrap('%1: i4[1] = constant() {value=tensor<i4[1]>hex"10"}'))).toBe('line 2 col 49: a hex code is not a int4 value, found "\\"10\\""');
    expect(graphError(wrap('%1: i64[1] = constant() {value=tensor<i64[1]>hex64"0000000000000000"}'))).toBe('line 2 col 53: hex64 holds float64 data, not 64-bit integers, found "\\"0000000000000000\\""');
  });

  it('check types, regions and maps', () => {
    expect(graphError('graph(%0: seq<seq<f32[2]>> "x") {}')).toBe('line 1 col 11: a sequence holds tensors, found "seq"');
    expect(graphError('graph(%0: opt<opt<f32[2]>> "x") {}')).toBe('line 1 col 11: an optional holds a tensor or a sequence, found "opt"');
    expect(graphError('graph(%0: f32[1.5] "x") {}')).toBe('line 1 col 15: expected a dim (an integer, a symbol or a quoted dim expression), found "1.5"');
    expect(graphError(wrap('%1: f32[2] = if(%0) {elseBranch=^() {\n  yield %0\n  }, thenBranch=^() {\n  %2: f32[2] = reshape(%0)\n  }}'))).toBe('line 6 col 3: expected a node or "yield", found "}"');
    expect(graphError(wrap('%1: f32[2] = iota() {axis=0} loc("Range")'))).toBe('line 2 col 43: expected ",", found ")"');
    const contract = (maps: string) => wrap(`%1: f32[2] = contract(%0) {accDtype="float32", combiner=a0, epilogue=_, maps=[${maps}], padValues=[_], reducer="add", reductionExtents=[]}`);
    expect(graphError(contract('(d0*x)'))).toBe('line 2 col 85: expected an integer coefficient, found "x"');
    expect(graphError(contract('(e0)'))).toBe('line 2 col 82: expected a loop index like d0 or an integer, found "e0"');
    expect(graphError(contract('(d0 d1)'))).toBe('line 2 col 85: expected "," or ")", found "d1"');
  });

  it('check scalar expressions', () => {
    expect(errorOf(() => parseScalar('add(a0)'))).toBe('line 1 col 1: add takes 2 operands, got 1, found "add"');
    expect(errorOf(() => parseScalar('frob(a0)'))).toBe('line 1 col 1: expected a scalar expression (a0, acc, 1:f32, op(...)), found "frob"');
    expect(errorOf(() => parseScalar('1.5:i64'))).toBe('line 1 col 1: expected an integer literal for int64, found "1.5"');
    expect(errorOf(() => parseScalar('1:q8'))).toBe('line 1 col 3: expected a dtype like f32, found "q8"');
    expect(errorOf(() => parseScalar('cast<f16,saturate>(a0)'))).toBe('line 1 col 10: expected "sat", found "saturate"');
    expect(errorOf(() => parseScalar('neg(a0) a1'))).toBe('line 1 col 9: expected end of the expression, found "a1"');
    expect(errorOf(() => parseScalar('1e5x:f32'))).toBe('line 1 col 1: malformed number, found "1e5x"');
    expect(errorOf(() => parseScalar(''))).toBe('line 1 col 1: expected a scalar expression (a0, acc, 1:f32, op(...)), found end of input');
  });
});
