# Protobuf code generation for the plugin wire contract. Included by the root
# Makefile; run `make proto` from the repository root after editing
# sdk/proto/**/*.proto. Needs protoc, protoc-gen-go and protoc-gen-go-grpc on
# PATH ($(HOME)/go/bin is added); google/protobuf/timestamp.proto comes from
# protoc's standard include directory (Debian: /usr/include).

PROTO_DIR := sdk/proto
PROTO_OUT := sdk/internal/pluginv1
PROTO_MODULE := github.com/amber-electrum/amber/sdk/internal/pluginv1
PROTO_SRC := $(wildcard $(PROTO_DIR)/amber/plugin/v1/*.proto)

.PHONY: proto
proto:
	PATH="$(HOME)/go/bin:$$PATH" protoc -I $(PROTO_DIR) \
		--go_out=$(PROTO_OUT) --go_opt=module=$(PROTO_MODULE) \
		--go-grpc_out=$(PROTO_OUT) --go-grpc_opt=module=$(PROTO_MODULE) \
		$(PROTO_SRC)
