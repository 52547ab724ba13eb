export { SETTINGS, type SettingName, type SettingSpec } from './settings';
export {
  ConfigError,
  PROJECT_ROOT,
  loadConfig,
  redisCredentials,
  redisQueueCredentials,
  type RedisCredentials,
  parseEnvFile,
  resolveSettings,
  secretsFile,
  settingsMarkdownTable,
  type FstoreConfig,
} from './config';
export {
  REDIS_CLUSTER_USERS,
  REDIS_QUEUE_USERS,
  redisAclFile,
  redisClusterAclRules,
  redisQueueAclRules,
  type AclFeature,
  type RedisClusterUser,
  type RedisQueueUser,
} from './redis-acl';
