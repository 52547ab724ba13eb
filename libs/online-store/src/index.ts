export {
  RedisClusterOnlineStore,
  type FeatureValue,
  type FeatureWrite,
  type OnlineStore,
  type RedisClusterStoreOptions,
  type WriteResult,
} from './online-store';
export { formatValue } from './values';
