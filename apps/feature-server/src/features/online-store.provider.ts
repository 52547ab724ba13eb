import { FstoreConfig } from '@fstore/config';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { CONFIG } from '../config';

export const ONLINE_STORE = Symbol('OnlineStore');

export const onlineStoreProvider = {
  provide: ONLINE_STORE,
  inject: [CONFIG],
  useFactory: (config: FstoreConfig) =>
    RedisClusterOnlineStore.fromConfig(config, 'feature-server'),
};
