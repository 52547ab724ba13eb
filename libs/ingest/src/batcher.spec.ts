import { Partitioners, PartitionMetadata } from 'kafkajs';
import { Prng } from '@fstore/generator';
import { keyPartitioner } from './batcher';

describe('keyPartitioner', () => {
  it('picks the same partition as kafkajs (and the Java client) for every key', () => {
    for (const partitions of [1, 6, 7]) {
      const partitionMetadata = Array.from(
        { length: partitions },
        (_, partitionId): PartitionMetadata => ({
          partitionId,
          leader: 0,
          partitionErrorCode: 0,
          replicas: [0],
          isr: [0],
        }),
      );
      const kafkajs = Partitioners.DefaultPartitioner();
      const ours = keyPartitioner(partitions);
      const rng = new Prng(partitions);
      const keys = ['', 'a', 'ab', 'abc', 'abcd', 'é', '2e1533d2', 'ключ-ü-😀'];
      for (let i = 0; i < 2000; i++) keys.push(rng.hex16().slice(0, 1 + (i % 16)));
      for (const key of keys) {
        const want = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect([key, ours(key)]).toEqual([key, want]);
      }
    }
  });
});
