// Package pythonplugin holds the Go test of the hello-py plugin, an Amber
// method-provider plugin written in Python (hello_plugin.py, started through
// the hello-plugin launcher). The test launches the launcher through
// hashicorp/go-plugin exactly as amberd does (gRPC, AutoMTLS, an explicit
// environment of PATH and HOME) and calls hello.py_world through
// the SDK's host-side adapter, sdk/hostside.MethodsClient. fees_test.go does
// the same for the fees-py fee estimator (fees_plugin.py, the fees-plugin
// launcher) through sdk/hostside.FeeClient. See README.md.
package pythonplugin
