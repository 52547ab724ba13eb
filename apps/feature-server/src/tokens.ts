/**
 * The feature server's Nest injection tokens, for what is injected through an interface or a
 * value rather than a class: declared here, apart from any one provider (issue 22).
 */

/** The loaded FstoreConfig. */
export const CONFIG = Symbol('FstoreConfig');
/** The online store (Redis Cluster). */
export const ONLINE_STORE = Symbol('OnlineStore');
/** The PostgreSQL pool of the users table. */
export const PG_POOL = Symbol('PgPool');
