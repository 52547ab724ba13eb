/**
 * Writes the control plane's OpenAPI document, as JSON, to the file named by its argument:
 * `fstore openapi` runs this as a program, since the CLI never imports another app (issue 22).
 */
import { writeOpenApiDocumentToArgument } from '@fstore/rest-api';
import { generateControlPlaneDocument } from './openapi';

writeOpenApiDocumentToArgument(generateControlPlaneDocument);
