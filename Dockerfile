# sseguard's container action image. The runner builds it from this file on each job.
#
# Base images: a tag can be moved to other content, a digest cannot. Pin each FROM as
# IMAGE:TAG@sha256:DIGEST (the tag stays for people and for Dependabot, whose docker ecosystem,
# .github/dependabot.yml, then updates the digest with the tag); read the digest of the tag's
# multi-platform index with `docker buildx imagetools inspect IMAGE:TAG --format '{{json .Manifest.Digest}}'`.
# The digests are not written here yet: none could be read from a registry where this file was
# last changed, and a digest copied from elsewhere unverified would be a guess.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The release workflow passes the tag and its commit (--build-arg VERSION=v1.2.3 --build-arg
# COMMIT=<40-hex sha>), stamped as scripts/release-archives.sh stamps the archives: `sseguard
# version`, the JSON plan, the job summary and the pull request comment then say them. Without
# them (the runner's build of `image: Dockerfile`; .git is not in the build context) the binary
# says devel. A value that is not a version or a commit stops the build.
ARG VERSION=""
ARG COMMIT=""
RUN case "$VERSION$COMMIT" in *[!0-9A-Za-z.-]*) \
      echo "VERSION=$VERSION COMMIT=$COMMIT: only letters, digits, dots and hyphens" >&2; exit 1;; esac; \
    if [ -n "$VERSION" ] && ! printf '%s' "$VERSION" | grep -Eqx 'v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?'; then \
      echo "VERSION=$VERSION is not a version (v1.2.3 or v1.2.3-rc.1)" >&2; exit 1; fi; \
    if [ -n "$COMMIT" ] && ! printf '%s' "$COMMIT" | grep -Eqx '[0-9a-f]{40}'; then \
      echo "COMMIT=$COMMIT is not a full commit SHA" >&2; exit 1; fi
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/sseguard/sseguard/internal/version.stamped=${VERSION} -X github.com/sseguard/sseguard/internal/version.stampedCommit=${COMMIT}" -o /sseguard .

# distroless/static has CA certificates and nothing else. No USER and no WORKDIR: GitHub runs
# container actions as root with the workspace mounted as the working directory, and only root
# can write the job summary and output files it mounts.
FROM gcr.io/distroless/static-debian12
COPY --from=build /sseguard /sseguard
ENTRYPOINT ["/sseguard"]
