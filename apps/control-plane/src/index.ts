/** What the CLI may use of the control plane without its HTTP API. */
export { generateControlPlaneDocument } from './openapi';
