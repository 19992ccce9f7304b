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
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /sseguard .

# distroless/static has CA certificates and nothing else. No USER and no WORKDIR: GitHub runs
# container actions as root with the workspace mounted as the working directory, and only root
# can write the job summary and output files it mounts.
FROM gcr.io/distroless/static-debian12
COPY --from=build /sseguard /sseguard
ENTRYPOINT ["/sseguard"]
