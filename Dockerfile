# The operator as a small container: build the jar, cut a Java runtime down to the modules it
# uses (scripts/runtime-image, the same script the tests run), and ship only that.
#
#   docker build -t nomad-backup-operator:local .

# 1. Build. Dependencies first, in their own layer, so a source change does not download them again.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY backup.nomad.tmpl ./
COPY src ./src
RUN mvn -B -q -DskipTests package

# 2. The runtime: jdeps + jlink from JDK 25 (the jar stays `release 17`), with binutils to strip
#    native debug symbols, and an ahead-of-time cache from a training run against a throwaway
#    Nomad agent (scripts/nomad-binary fetches the release and checks its SHA256SUMS; curl and
#    unzip for that). Without the agent the training runs against no Nomad, which helps less.
#    Built where it runs: the cache holds only at /opt/nomad-backup-operator.
FROM eclipse-temurin:25-jdk AS runtime
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils curl unzip \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/runtime-image scripts/nomad-binary scripts/
COPY --from=build /src/target/nomad-backup-operator.jar target/nomad-backup-operator.jar
RUN TRAIN_NOMAD=$(scripts/nomad-binary || true) \
  scripts/runtime-image target/nomad-backup-operator.jar /opt/nomad-backup-operator

# 3. Ship the runtime alone, as a user without privileges, at the path it was built and trained at.
FROM debian:bookworm-slim
COPY --from=runtime /opt/nomad-backup-operator /opt/nomad-backup-operator
RUN useradd --system --no-create-home --uid 10001 operator
USER 10001
EXPOSE 8080
ENTRYPOINT ["/opt/nomad-backup-operator/bin/nomad-backup-operator"]
