export {
  RedisClusterOnlineStore,
  type FeatureValue,
  type FeatureWrite,
  type OnlineStore,
  type RedisClusterStoreOptions,
  type StoredFeature,
  type WriteResult,
} from './online-store';
export { formatValue } from './values';
export { decodeTile, encodeTile, mergeTiles, type Tile } from './tiles';
export { isOnlineStoreUnavailable } from './availability';
