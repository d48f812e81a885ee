// Package wallettest drives the real Electrum wallet (Debian's electrum
// 4.3.4, headless, regtest) against amberd alone: the acceptance test that
// matters most. It has test files only.
package wallettest
