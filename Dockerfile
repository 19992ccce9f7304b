# sseguard's container action image. The runner builds it from this file on each job.

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
