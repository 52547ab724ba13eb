export {
  CONNECT_TIMEOUT_MS,
  createPool,
  isPostgresUnavailable,
  poolErrorHandler,
  unavailability,
  type PoolErrorLog,
  type Unavailability,
} from './availability';
