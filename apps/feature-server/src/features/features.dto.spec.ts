import { ArgumentMetadata, Paramtype } from '@nestjs/common';
import { FieldValidationPipe } from '@fstore/rest-api';
import { BatchBody, EntityParams, FeatureNamesQuery } from './features.dto';

type Dto = (new () => object) & { accept(value: unknown): object | undefined };

/** The same class without its fast path: what class-validator alone makes of an input. */
function withoutFastPath(dto: Dto): new () => object {
  const full = class extends dto {};
  Object.defineProperty(full, 'accept', { value: undefined });
  return full;
}

const pipe = new FieldValidationPipe();

/** class-validator's verdict: the instance's own fields, or 'refused'. */
async function fullPath(dto: Dto, type: Paramtype, value: unknown): Promise<object | 'refused'> {
  const metadata: ArgumentMetadata = { type, metatype: withoutFastPath(dto) };
  try {
    return { ...((await pipe.transform(value, metadata)) as object) };
  } catch {
    return 'refused';
  }
}

/** Every combination of the given candidate values of each field (undefined = field left out). */
function combinations(fields: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(fields).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) =>
      acc.flatMap((o) => values.map((v) => (v === undefined ? { ...o } : { ...o, [key]: v }))),
    [{}],
  );
}

const ids = ['p1', 'c1:p1', '', 'x'.repeat(129), 'x'.repeat(130), '😀'.repeat(65), 5, null];
const entities = ['product', 'customer_product', 'planet', '', 5, null, ['product'], undefined];
const features = [
  undefined,
  null,
  [],
  ['units_sold'],
  ['units_sold', 'avg_review'],
  ['nope'],
  ['units_sold', 5],
  'units_sold',
];

// The fast path may decline what class-validator accepts (it then runs), never the reverse, and
// what it accepts must be exactly what class-validator would have built.
describe.each([
  [
    'EntityParams',
    EntityParams,
    'param',
    combinations({ entity: entities, id: [...ids, undefined], extra: [undefined, 'x'] }),
  ],
  [
    'FeatureNamesQuery',
    FeatureNamesQuery,
    'query',
    [
      ...combinations({
        names: [
          undefined,
          'avg_review',
          'avg_review, units_sold',
          'units_sold,,avg_review',
          'nope',
          '',
          ['avg_review'],
          5,
        ],
        extra: [undefined, '1'],
      }),
      Object.assign(Object.create(null), { names: 'units_sold' }),
    ],
  ],
  [
    'BatchBody',
    BatchBody,
    'body',
    [
      ...combinations({
        entity: entities,
        ids: [[], ['p1'], ['p1', 'c1:p1'], ['p1', 5], ['x'.repeat(130)], 'p1', null, undefined],
        features,
        extra: [undefined, true],
      }),
      null,
      'text',
      [{ entity: 'product', ids: ['p1'] }],
    ],
  ],
] as const)('%s.accept', (_, dto, type, inputs) => {
  it('accepts only what class-validator accepts, and builds the same instance', async () => {
    let accepted = 0;
    for (const input of inputs) {
      const fast = dto.accept(input);
      if (fast === undefined) continue;
      accepted++;
      expect(fast).toBeInstanceOf(dto);
      expect({ input, result: await fullPath(dto, type, input) }).toStrictEqual({
        input,
        result: { ...fast },
      });
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the fast path', () => {
  it('takes the hot routes’ common inputs', () => {
    expect(EntityParams.accept({ entity: 'product', id: 'p1' })).toEqual({
      entity: 'product',
      id: 'p1',
    });
    expect(FeatureNamesQuery.accept({})).toBeInstanceOf(FeatureNamesQuery);
    expect(FeatureNamesQuery.accept({ names: 'avg_review, units_sold' })?.names).toEqual([
      'avg_review',
      'units_sold',
    ]);
    const body = { entity: 'product', ids: ['p1', 'p2'], features: ['units_sold'] };
    expect({ ...BatchBody.accept(body) }).toStrictEqual(body);
  });

  it('leaves errors to class-validator, so the body names the field', async () => {
    const metadata: ArgumentMetadata = { type: 'body', metatype: BatchBody };
    await expect(pipe.transform({ entity: 'product', ids: [] }, metadata)).rejects.toMatchObject({
      status: 400,
      detail: [expect.objectContaining({ loc: ['body', 'ids'] })],
    });
  });
});
