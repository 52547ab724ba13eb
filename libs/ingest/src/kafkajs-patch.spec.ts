import { Partitioners } from 'kafkajs';
import { linearGroup } from './kafkajs-patch';

describe('kafkajs grouping patch', () => {
  it('groups like kafkajs: explicit partitions kept, the others from the partitioner, in order', () => {
    const original = jest.requireActual<typeof linearGroup>(
      'kafkajs/src/producer/groupMessagesPerPartition',
    );
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
    const messages = ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) =>
      i % 2 ? { key, value: key, partition: i % 3 } : { key, value: key },
    );
    const args = { topic: 't', partitionMetadata, messages };
    const expected = original({ ...args, partitioner: Partitioners.DefaultPartitioner() as never });
    expect(
      linearGroup({ ...args, partitioner: Partitioners.DefaultPartitioner() as never }),
    ).toEqual(expected);
    expect(linearGroup({ ...args, partitionMetadata: [], partitioner: () => 0 })).toEqual({});
  });
});
