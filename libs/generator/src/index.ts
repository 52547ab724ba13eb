/**
 * Synthetic e-commerce events (docs/design.md §2), deterministic per seed: for tests, benchmarks
 * and `fstore generate`, with redeliveries, late events and, on request, malformed records whose
 * dead-letter reason is known in advance.
 */
export {
  MALFORMED_KINDS,
  expectedReason,
  generate,
  type GenerateOptions,
  type GenerateSummary,
  type MalformedKind,
} from './generator';
export { GENERATOR_DEFAULTS } from './defaults';
export { fmix32, Prng, Zipf } from './prng';
