/** What other apps (the CLI) may use of the feature server without its HTTP API. */
export { generateFeatureServerDocument } from './openapi';
