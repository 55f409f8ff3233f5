export { INVARIANTS, verify } from './verify.js';
