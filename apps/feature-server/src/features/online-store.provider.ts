import { FstoreConfig } from '@fstore/config';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { CONFIG, ONLINE_STORE } from '../tokens';

export const onlineStoreProvider = {
  provide: ONLINE_STORE,
  inject: [CONFIG],
  useFactory: (config: FstoreConfig) =>
    RedisClusterOnlineStore.fromConfig(config, 'feature-server'),
};
