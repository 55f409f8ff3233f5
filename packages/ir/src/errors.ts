// Typed errors. Every failure a user can cause names the model node, its op type and the reason.

export type ErrorCode =
  | 'INVALID_MODEL' // bytes are not a well-formed ONNX model
  | 'UNSUPPORTED_OP' // op or domain tensorc cannot lower
  | 'UNSUPPORTED_ATTRIBUTE' // op known, attribute value not supported
  | 'TYPE_ERROR' // dtype mismatch
  | 'SHAPE_ERROR' // impossible, negative or inconsistent shapes
  | 'LIMIT_EXCEEDED' // tensor too large (2^31 elements at import, MAX_HOST_ELEMENTS in the interpreter), nesting too deep
  | 'IO_ERROR' // files, external data
  | 'INVALID_INPUT' // wrong feed name, dtype or shape at run time
  | 'VERIFY_ERROR' // IR broke an invariant (a compiler bug when it follows a pass)
  | 'PARSE_ERROR' // IR text does not parse
  | 'RUNTIME_ERROR' // evaluation failed (index out of range, ...)
  | 'INTERNAL';

/** Longest message kept: a reason quoting a crafted attribute (a million-entry perm) must stay readable. */
const MAX_MESSAGE = 2000;

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters)`;
}

export class CompileError extends Error {
  readonly code: ErrorCode;
  readonly node: string | undefined;
  readonly opType: string | undefined;
  constructor(code: ErrorCode, message: string, where: { node?: string | undefined; opType?: string | undefined } = {}) {
    const loc = where.opType || where.node ? `${where.opType ?? '?'} node "${where.node ?? ''}": ` : '';
    super(`${loc}${clip(message)}`);
    this.name = 'CompileError';
    this.code = code;
    this.node = where.node;
    this.opType = where.opType;
  }
}
