export { SETTINGS, type SettingName, type SettingSpec } from './settings';
export {
  ConfigError,
  PROJECT_ROOT,
  loadConfig,
  parseEnvFile,
  resolveSettings,
  secretsFile,
  settingsMarkdownTable,
  type FstoreConfig,
} from './config';
