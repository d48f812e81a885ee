// Package load runs amber-bench's load: sessions that replay a wallet mix
// (package mix) over Electrum connections (package rpcclient), record
// latency per method (package latency) and errors by code, and the flooder
// of the flood measurement. It also has the live status line.
package load
