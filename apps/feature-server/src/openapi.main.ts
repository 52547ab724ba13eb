/**
 * Writes the feature server's OpenAPI document, as JSON, to the file named by its argument:
 * `fstore openapi` runs this as a program, since the CLI never imports another app (issue 22).
 */
import { writeOpenApiDocumentToArgument } from '@fstore/rest-api';
import { generateFeatureServerDocument } from './openapi';

writeOpenApiDocumentToArgument(generateFeatureServerDocument);
