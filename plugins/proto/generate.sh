#!/bin/sh
# Regenerates the Go and Python code of plugin.proto: the Go code belongs
# to the SDK's module (plugins/sdk/pluginv1), so that plugins outside this
# repository get it with the SDK. Needs Debian's protoc
# (package protobuf-compiler) and the Go plugins pinned below, which go
# install fetches from the module proxy (or finds in the module cache when
# offline). Run from anywhere; the output is committed.
set -eu
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
GOBIN=$bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PATH=$bin:$PATH protoc -I . \
	--go_out=../sdk/pluginv1 --go_opt=paths=source_relative \
	--go-grpc_out=../sdk/pluginv1 --go-grpc_opt=paths=source_relative \
	--python_out=../python/sloagent_plugin \
	plugin.proto
