// No imports: the CLI shows these in its help without loading the generator.

/** `fstore generate`'s defaults. */
export const GENERATOR_DEFAULTS = {
  customers: 10000,
  products: 2000,
  categories: 8,
  start: '2024-01-01',
  spanDays: 180,
  duplicates: 0.01,
  maxDelaySeconds: 3600,
  malformed: 0,
  zipf: 1.1,
};
