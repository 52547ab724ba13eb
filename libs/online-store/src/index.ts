export {
  RedisClusterOnlineStore,
  type DurableWriteResult,
  type FeatureValue,
  type FeatureWrite,
  type OnlineStore,
  type RedisClusterStoreOptions,
  type ReplicaAck,
  type ReplicaWait,
  type StoredFeature,
  type WriteResult,
} from './online-store';
export { formatValue } from './values';
export { decodeTile, encodeTile, mergeTiles, type Tile } from './tiles';
export { isOnlineStoreUnavailable } from './availability';
