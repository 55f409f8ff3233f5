// The wasm backend has no string ops (nor string tensors): graphs using them must fail to compile with a
// typed UNSUPPORTED_OP CompileError that names the node, never crash or emit a module.

import { describe, expect, it } from 'vitest';
import { CompileError, GraphBuilder, type Graph, type Op, tensorType } from '@tensorc/ir';
import { compileGraph } from '../src/index.js';

function graphWith(op: Op, outTypes: ReturnType<typeof tensorType>[]): Graph {
  const b = new GraphBuilder();
  b.origin = { opType: 'StringOp', node: 'str1' };
  const x = b.input('x', tensorType('string', [2]));
  const outs = b.add(op, op.kind === 'string_concat' ? [x, x] : [x], outTypes);
  outs.forEach((o, i) => b.output(`y${i}`, o));
  return b.build();
}

describe('wasm backend and string ops', () => {
  const cases: [Op, ReturnType<typeof tensorType>[]][] = [
    [{ kind: 'string_concat' }, [tensorType('string', [2])]],
    [{ kind: 'string_case', upper: true, locale: '' }, [tensorType('string', [2])]],
    [{ kind: 'regex_match', pattern: 'a+' }, [tensorType('bool', [2])]],
    [{ kind: 'string_split', delimiter: ',', maxSplit: -1 }, [tensorType('string', [2, 'n']), tensorType('int64', [2])]],
  ];
  for (const [op, types] of cases) {
    it(`${op.kind} is refused with a typed error`, () => {
      let err: unknown;
      try {
        compileGraph(graphWith(op, types));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CompileError);
      expect((err as CompileError).code).toBe('UNSUPPORTED_OP');
      expect((err as CompileError).node).toBe('str1');
      expect((err as CompileError).message).toMatch(/backend: /);
    });
  }
});
