import { FstoreConfig, loadConfig } from '@fstore/config';

export const CONFIG = Symbol('FstoreConfig');

/** Parsed and validated once at boot; a bad variable stops the process naming it. */
export const configProvider = { provide: CONFIG, useFactory: (): FstoreConfig => loadConfig() };
