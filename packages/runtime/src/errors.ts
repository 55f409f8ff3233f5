// Typed runtime errors. The runtime cannot import @tensorc/ir (it must load alone in a browser page), so it
// mirrors CompileError's code names where they mean the same thing and adds the few that only a runtime meets.

export type RuntimeErrorCode =
  | 'INVALID_INPUT' // wrong feed or fetch name, missing feed, wrong dtype or shape at run time
  | 'TYPE_ERROR' // Tensor data array does not match its dtype
  | 'SHAPE_ERROR' // Tensor dims invalid or inconsistent with its data length
  | 'INVALID_ARTIFACT' // manifest, wasm or weights malformed or inconsistent with each other
  | 'UNSUPPORTED' // valid artifact this runtime version or host cannot run (symbolic dims, string I/O, ...)
  | 'IO_ERROR' // reading files or fetching URLs failed
  | 'RUNTIME_ERROR' // the model trapped while running
  | 'INVALID_STATE' // the session was released
  | 'INTERNAL';

export class TensorcRuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TensorcRuntimeError';
    this.code = code;
  }
}

/** The message of anything thrown, for wrapping foreign errors into ours. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
