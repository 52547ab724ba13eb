# Images of the production shape (k8s/). Build one target per image:
#   docker build --target app    -t ghcr.io/fstore/app:<tag> .        (every apps/<app>)
#   docker build --target flink  -t ghcr.io/fstore/flink:<tag> .      (session cluster + SQL Gateway)
#   docker build --target livy   -t ghcr.io/fstore/livy:<tag> .       (Livy + Spark + spark-jobs/)
#   docker build --target airflow -t ghcr.io/fstore/airflow:<tag> .   (Airflow + airflow-dags/)
# Versions are the local stack's pins (apps/cli/src/stack/*.ts): both describe the same system.
#
# The apps start from the build ahead (bin/build.js, dist/build/): the JavaScript of each .ts file,
# loaded by bin/register.js under the source's own name. Not a separate layout of tsc's emitted
# dist/: the @fstore/* aliases in tsconfig.json point at libs/*/src/index.ts, and PROJECT_ROOT
# (libs/config) and the control plane's job sources (flink-sql/, spark-jobs/) are located relative
# to the checkout, exactly as `fstore stack up` runs the apps. FSTORE_BUILD=required: a file not in
# the build (or changed since) is an error, never transpiled at start; nothing is written at run
# time, so the root filesystem stays read-only. The build stage also type-checks the whole program
# with tsconfig.build.json, so an image is never built from code that does not compile.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/fstore
COPY package.json package-lock.json ./
# npm ci runs the prepare script (bin/build.js); with no sources here yet it builds nothing.
COPY bin ./bin
RUN npm ci

FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY bin ./bin
COPY libs ./libs
COPY apps ./apps
COPY features ./features
COPY bench ./bench
COPY test ./test
RUN npx tsc -p tsconfig.build.json --outDir /tmp/tsc-out && rm -rf /tmp/tsc-out
RUN node bin/build.js
# The web console the control plane serves under /console/ (apps/console, bundled by esbuild).
RUN npx tsc -p apps/console/tsconfig.json \
 && node -r ./bin/register -e "require('./apps/cli/src/console/build-console').buildConsole(console.log)"

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /opt/fstore
COPY package.json package-lock.json ./
COPY bin ./bin
# tsconfig-paths is a runtime dependency (bin/register.js), and typescript: bin/transpile.js
# reads its version and options for the build's key check.
RUN npm ci --omit=dev && npm cache clean --force && rm -rf bin

FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production FSTORE_BUILD=required
WORKDIR /opt/fstore
COPY --from=prod-deps /opt/fstore/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY --from=build /opt/fstore/libs ./libs
COPY --from=build /opt/fstore/apps ./apps
# The feature definitions: @fstore/contracts loads them (topics, the online store's fields).
COPY --from=build /opt/fstore/features ./features
COPY --from=build /opt/fstore/dist/console ./dist/console
COPY --from=build /opt/fstore/dist/build ./dist/build
COPY flink-sql ./flink-sql
COPY spark-jobs ./spark-jobs
# The image's `node` user (uid 1000); the manifests also demand runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["node", "bin/app.js"]
CMD ["feature-server"]

# Flink 2.2 with the Kafka SQL connector in lib/ (the local stack adds the same jar).
FROM flink:2.2.1-java17 AS flink
ADD --chown=flink:flink \
  https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/5.0.0-2.2/flink-sql-connector-kafka-5.0.0-2.2.jar \
  /opt/flink/lib/
RUN cp /opt/flink/opt/flink-sql-gateway-*.jar /opt/flink/lib/ 2>/dev/null || true
USER flink

# Livy and Spark: the same Maven descriptors as the local stack (stack/livy, stack/spark).
FROM maven:3.9-eclipse-temurin-17 AS livy-jars
ARG LIVY_VERSION=0.7.1-incubating
ARG SPARK_KAFKA_VERSION=3.5.7
COPY stack/livy/pom.xml /build/livy/pom.xml
COPY stack/spark/pom.xml /build/spark/pom.xml
COPY stack/livy/auth/BearerTokenFilter.java /build/livy-auth/BearerTokenFilter.java
RUN mvn -q -B -f /build/livy/pom.xml dependency:copy-dependencies -Dlivy.version=${LIVY_VERSION} \
      -DincludeScope=runtime -DoutputDirectory=/out/livy \
 && mvn -q -B -f /build/spark/pom.xml dependency:copy-dependencies \
      -Dspark.kafka.version=${SPARK_KAFKA_VERSION} -DincludeScope=runtime -DoutputDirectory=/out/spark \
 && mvn -q -B dependency:copy -Dartifact=org.postgresql:postgresql:42.7.14 -DoutputDirectory=/out/spark \
 && javac --release 8 -cp "$(ls /out/livy/javax.servlet-api-*.jar)" -d /build/livy-auth/classes \
      /build/livy-auth/BearerTokenFilter.java \
 && jar cf /out/livy/fstore-livy-auth.jar -C /build/livy-auth/classes .
# fstore-livy-auth.jar: Livy's bearer-token filter (docs/security.md), compiled as the local stack
# compiles it (apps/cli/src/stack/livy.ts), loaded from jars/ with the rest.

# Spark's own image carries the entrypoint its executor pods need (Spark on Kubernetes); the
# Livy pod runs the same image with its start script (k8s/base/livy/configmap.yaml).
FROM apache/spark:3.5.7-scala2.12-java17-python3-ubuntu AS livy
COPY --from=livy-jars /out/livy /opt/livy/jars
COPY --from=livy-jars /out/spark /opt/spark-extra-jars
COPY spark-jobs /opt/fstore/spark-jobs
# The online store's write script, which batch_features.py loads from beside spark-jobs/.
COPY libs/online-store/lua /opt/fstore/libs/online-store/lua
# The image's spark user (uid 185).
USER 185

# Airflow with the project's pinned providers (stack/airflow/constraints.txt) and its DAGs.
FROM apache/airflow:3.3.2-python3.11 AS airflow
COPY stack/airflow/constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir apache-airflow==3.3.2 apache-airflow-providers-http==6.3.0 \
      apache-airflow-providers-apache-livy==4.6.4 psycopg2-binary==2.9.13 asyncpg==0.32.0 \
      -c /tmp/constraints.txt
COPY airflow-dags /opt/fstore/airflow-dags
COPY spark-jobs /opt/fstore/spark-jobs
