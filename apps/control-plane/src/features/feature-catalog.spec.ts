import { exportDefinitions } from '@fstore/definitions';
import { FEATURES, featureByName, REGISTRY } from '@fstore/contracts';
import { currentCatalog, fromContract, fromRegistry } from './feature-catalog';
import { ExportedFeature, RegisteredFeature } from './feature-plan';

const exported = exportDefinitions(REGISTRY).features;
const exportOf = (name: string) => exported.find((f) => f.name === name)!;
const version = (definition: ExportedFeature, removed = false, v = 1): RegisteredFeature => ({
  name: definition.name,
  version: v,
  computeHash: definition.compute_hash,
  removed,
  definition,
});
const names = (c: { name: string }[]) => c.map((f) => f.name);

describe('the catalog entry read back from the registry', () => {
  it.each(FEATURES.map((f) => f.name))(
    '%s: equal to the one of the checked definition it was exported from',
    (name) => {
      const booted = fromContract(featureByName(name)!);
      const applied = fromRegistry(exportOf(name));
      // The stored shape (key prefix, type, tiles) decides how a value is read: it must agree.
      expect({ ...applied, stored: { ...applied.stored } }).toEqual({
        ...booted,
        stored: { name, type: booted.type, tiles: booted.stored.tiles },
      });
    },
  );

  it('a time window keeps its tiles; a last_k has none', () => {
    expect(fromRegistry(exportOf('revenue_1h')).stored.tiles).toEqual({
      windowMs: 3_600_000,
      granularityMs: expect.any(Number),
      op: 'sum',
      doubleSums: false,
    });
    expect(fromRegistry(exportOf('revenue_1h')).window).toBe('1h');
    const lastK = exported.find((f) => f.aggregation === 'last_k');
    if (lastK) expect(fromRegistry(lastK).stored.tiles).toBeUndefined();
  });
});

describe('currentCatalog', () => {
  const booted = FEATURES;

  it('never applied: the boot definitions, by name', () => {
    expect(names(currentCatalog(booted, []))).toEqual(booted.map((f) => f.name).sort());
  });

  it('a feature applied after boot is listed from the registry, with its key columns', () => {
    const base = exportOf('last_purchase_amount');
    const added: ExportedFeature = {
      ...base,
      name: 'spend_last_3',
      aggregation: 'last_k',
      k: 3,
      reduce: 'sum',
      description: 'added by apply',
      compute_hash: 'f'.repeat(64),
    };
    const catalog = currentCatalog(booted, [version(added)]);
    const entry = catalog.find((f) => f.name === 'spend_last_3')!;
    expect(entry).toMatchObject({
      entity: base.entity,
      keyColumns: base.keys,
      aggregation: 'last_k',
      window: null,
      description: 'added by apply',
      producedBy: `flink-sql/${base.source}.sql`,
      keyTemplate: `spend_last_3:${base.keys.map((k) => `{<${k}>}`).join('_')}`,
    });
    expect(catalog).toHaveLength(booted.length + 1);
    // The registry's version rides along (the API's registry_version, applied_by, applied_at).
    const at = new Date('2026-11-30T12:00:00Z');
    const withWho = currentCatalog(booted, [
      { ...version(added), appliedBy: 'key:ops', appliedAt: at },
    ]);
    expect(withWho.find((f) => f.name === 'spend_last_3')!.applied).toEqual({
      version: 1,
      by: 'key:ops',
      at,
    });
    expect(withWho.find((f) => f.name === 'units_sold')!.applied).toBeNull();
  });

  it('the registry’s latest version wins over the boot definition; a removal hides it', () => {
    const changed = { ...exportOf('units_sold'), description: 'changed by apply' };
    const catalog = currentCatalog(booted, [
      version(changed, false, 2),
      version(exportOf('revenue_1h'), true, 3),
    ]);
    expect(catalog.find((f) => f.name === 'units_sold')!.description).toBe('changed by apply');
    expect(names(catalog)).not.toContain('revenue_1h');
    expect(catalog).toHaveLength(booted.length - 1);
  });
});
