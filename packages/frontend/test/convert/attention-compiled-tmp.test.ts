import { it } from 'vitest';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';
it('compiled', async () => {
  const dir = suiteDir()!;
  const cases = listCases(dir).filter((c) => c.suite === 'node' && !c.name.includes('expanded') && /^test_(attention_|rotary_embedding|linear_attention_|causal_conv_with_state_|swiglu)/.test(c.name));
  let pass = 0;
  for (const c of cases) {
    const o = await runCase(dir, c, compiledEvaluate);
    if (o.ok) pass++; else console.log(c.name, o.stage, o.reason.slice(0, 120));
  }
  console.log(`compiled ${pass}/${cases.length}`);
}, 600_000);
