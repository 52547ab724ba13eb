import { FstoreConfig, loadConfig } from '@fstore/config';
import { CONFIG } from './tokens';

/** Parsed and validated once at boot; a bad variable stops the process naming it. */
export const configProvider = { provide: CONFIG, useFactory: (): FstoreConfig => loadConfig() };
