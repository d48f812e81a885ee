// Package pluginv1 is the generated Go code for the Amber plugin wire
// protocol, major version 1 (sdk/proto/amber/plugin/v1). Do not edit the
// *.pb.go files: change the .proto files and run `make proto`.
//
// Plugin authors do not use this package directly: sdk.Serve and the host-side
// adapters (sdk/hostside) convert between these messages and the SDK types.
package pluginv1
