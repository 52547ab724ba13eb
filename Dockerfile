# Images of the production shape (k8s/). Build one target per image:
#   docker build --target app    -t ghcr.io/fstore/app:<tag> .        (every apps/<app>)
#   docker build --target flink  -t ghcr.io/fstore/flink:<tag> .      (session cluster + SQL Gateway)
#   docker build --target livy   -t ghcr.io/fstore/livy:<tag> .       (Livy + Spark + spark-jobs/)
#   docker build --target airflow -t ghcr.io/fstore/airflow:<tag> .   (Airflow + airflow-dags/)
# Versions are the local stack's pins (apps/cli/src/stack/*.ts): both describe the same system.
#
# Why the apps run from source through bin/register.js instead of from tsc's emitted dist/:
# the @fstore/* aliases in tsconfig.json point at libs/*/src/index.ts, and PROJECT_ROOT
# (libs/config) and the control plane's job sources (flink-sql/, spark-jobs/) are located
# relative to the checkout. Running the emitted JS would need a second alias map and a second
# layout that the local stack never exercises. bin/register.js transpiles each file in memory
# (nothing is written, so the root filesystem stays read-only) exactly as `fstore stack up` runs
# the apps; the build stage still type-checks the whole program with tsconfig.build.json, so an
# image is never built from code that does not compile.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/fstore
COPY package.json package-lock.json ./
RUN npm ci

FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY bin ./bin
COPY libs ./libs
COPY apps ./apps
COPY bench ./bench
COPY test ./test
RUN npx tsc -p tsconfig.build.json --outDir /tmp/tsc-out && rm -rf /tmp/tsc-out
# The web console the control plane serves under /console/ (apps/console, bundled by esbuild).
RUN npx tsc -p apps/console/tsconfig.json \
 && node -r ./bin/register -e "require('./apps/cli/src/console/build-console').buildConsole(console.log)"

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /opt/fstore
COPY package.json package-lock.json ./
# typescript and tsconfig-paths are runtime dependencies: bin/register.js needs them.
RUN npm ci --omit=dev && npm cache clean --force

FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production
WORKDIR /opt/fstore
COPY --from=prod-deps /opt/fstore/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY --from=build /opt/fstore/libs ./libs
COPY --from=build /opt/fstore/apps ./apps
COPY --from=build /opt/fstore/dist/console ./dist/console
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
RUN mvn -q -B -f /build/livy/pom.xml dependency:copy-dependencies -Dlivy.version=${LIVY_VERSION} \
      -DincludeScope=runtime -DoutputDirectory=/out/livy \
 && mvn -q -B -f /build/spark/pom.xml dependency:copy-dependencies \
      -Dspark.kafka.version=${SPARK_KAFKA_VERSION} -DincludeScope=runtime -DoutputDirectory=/out/spark \
 && mvn -q -B dependency:copy -Dartifact=org.postgresql:postgresql:42.7.14 -DoutputDirectory=/out/spark

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
