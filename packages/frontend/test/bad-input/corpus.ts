// Seed models for the bad-input property: real, small ONNX files whose mutations reach deep into the
// importer. The example MLP and the committed PyTorch fixtures are always there; a selection of ONNX
// backend-suite node models (control flow, recurrences, sequences, casts, ...) is added when the suite is
// on disk. Integer graph inputs of suite models are given as constantInputs (as the conformance run does),
// so that their imports get past shape-deciding inputs and exercise the converters.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '@tensorc/ir';
import type { ImportOptions } from '../../src/import-onnx.js';
import { decodeTensorProto, toLoweringModel } from '../../src/onnx/index.js';
import { suiteDir } from '../conformance/suite.js';

export interface SeedModel {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly opts: ImportOptions;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../../../..');

const FIXTURES = ['mlp_static', 'cnn_bn_static', 'dwsep_upsample_static', 'bigru_static', 'moe_loop_static', 'attention_block_static'];

/** Node models chosen for breadth: If/Loop/Scan bodies, recurrences, expanded functions, casts to fp8/int4, sequences. */
const SUITE_MODELS = [
  'test_if', 'test_if_seq', 'test_loop11', 'test_loop13_seq', 'test_scan9_sum', 'test_lstm_defaults', 'test_gru_defaults',
  'test_conv_with_strides_padding', 'test_gather_0', 'test_einsum_batch_matmul', 'test_gemm_all_attributes',
  'test_layer_normalization_2d_axis0_expanded', 'test_range_float_type_positive_delta_expanded',
  'test_cast_FLOAT_to_FLOAT8E4M3FN', 'test_cast_FLOAT_to_INT4', 'test_nonzero_example', 'test_resize_upsample_scales_linear',
  'test_cumsum_1d', 'test_top_k', 'test_reshape_negative_dim', 'test_constantofshape_int_zeros', 'test_onehot_with_axis',
  'test_expand_dim_changed', 'test_where_example', 'test_softmax_axis_0', 'test_batchnorm_epsilon',
];

const read = (file: string): Uint8Array => new Uint8Array(fs.readFileSync(file));

/** Integer inputs of a suite case (test_data_set_0) by graph input name, for constantInputs. */
function integerInputs(dir: string, bytes: Uint8Array): Record<string, HostTensor> {
  const names = toLoweringModel(bytes).graph.inputs.map((i) => i.name);
  const out: Record<string, HostTensor> = {};
  names.forEach((name, i) => {
    const file = path.join(dir, 'test_data_set_0', `input_${i}.pb`);
    if (!fs.existsSync(file)) return;
    try {
      const t = decodeTensorProto(read(file)).value;
      if (t.dtype === 'int64' || t.dtype === 'int32') out[name] = t;
    } catch {
      // a sequence or optional input: not a tensor, never a constant input
    }
  });
  return out;
}

export function loadSeedModels(): { models: SeedModel[]; notice: string | undefined } {
  const models: SeedModel[] = [{ name: 'examples/mlp/model.onnx', bytes: read(path.join(REPO_ROOT, 'examples/mlp/model.onnx')), opts: {} }];
  for (const f of FIXTURES) {
    models.push({ name: `fixtures/pytorch/${f}.onnx`, bytes: read(path.join(HERE, '../fixtures/pytorch', `${f}.onnx`)), opts: {} });
  }
  const suite = suiteDir();
  if (!suite) return { models, notice: 'ONNX backend tests not found (set ONNX_BACKEND_TESTS): the bad-input property uses only the example and fixture models' };
  for (const name of SUITE_MODELS) {
    const dir = path.join(suite, 'node', name);
    const file = path.join(dir, 'model.onnx');
    if (!fs.existsSync(file)) continue;
    const bytes = read(file);
    const constantInputs = integerInputs(dir, bytes);
    models.push({ name: `node/${name}`, bytes, opts: Object.keys(constantInputs).length ? { constantInputs } : {} });
  }
  return { models, notice: undefined };
}
