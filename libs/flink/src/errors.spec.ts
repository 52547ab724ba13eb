import { rootCause } from './jobmanager.client';

// Shapes of what the SQL Gateway returns for a failed statement (stack frames shortened).
const validation = `Internal server error.
<Exception on server side:
org.apache.flink.table.gateway.api.utils.SqlGatewayException: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.
	at org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)
Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 817d7c07.
	... 1 more
Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 8 to line 1, column 12: Column 'nocol' not found in any table
	... 7 more
Caused by: org.apache.calcite.runtime.CalciteContextException: From line 1, column 8 to line 1, column 12: Column 'nocol' not found in any table
	at java.base/jdk.internal.reflect.NativeConstructorAccessorImpl.newInstance0(Native Method)
Caused by: org.apache.calcite.sql.validate.SqlValidatorException: Column 'nocol' not found in any table
	... 36 more

End of exception on server side>`;

const factory = `<Exception on server side:
org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 1.
	at x.y(Z.java:1)
Caused by: org.apache.flink.table.api.ValidationException: Unable to create a sink for writing table 'default_catalog.default_database.t'.
	... 5 more
Caused by: org.apache.flink.table.api.ValidationException: Could not find any factory for identifier 'nosuch' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.

Available factory identifiers are:

blackhole
datagen
kafka
	at x.y(Z.java:1)
	... 8 more

End of exception on server side>`;

describe('rootCause', () => {
  it('takes the deepest cause, widened to the context its wrappers add', () => {
    expect(rootCause(validation)).toBe(
      "SQL validation failed. From line 1, column 8 to line 1, column 12: Column 'nocol' not found in any table",
    );
  });

  it('folds a multi-line message onto one line', () => {
    expect(rootCause(factory)).toBe(
      "Could not find any factory for identifier 'nosuch' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath. Available factory identifiers are: blackhole, datagen, kafka",
    );
  });

  it('falls back to the first line of something that is not a trace', () => {
    expect(rootCause('Bad request\nmore')).toBe('Bad request');
  });
});
