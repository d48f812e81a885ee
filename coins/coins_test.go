package coins

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

func TestGenesisHashes(t *testing.T) {
	// Known values from Bitcoin Core's chainparams.cpp.
	tests := []struct {
		net, hash, merkle string
		magic             uint32
	}{
		{"mainnet", "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 0xd9b4bef9},
		{"testnet", "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 0x0709110b},
		{"testnet4", "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043", "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e", 0x283f161c},
		{"signet", "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 0x40cf030a},
		{"regtest", "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 0xdab5bffa},
	}
	for _, tc := range tests {
		t.Run(tc.net, func(t *testing.T) {
			n, err := Lookup("Bitcoin", tc.net)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.GenesisHash.String(); got != tc.hash {
				t.Errorf("GenesisHash = %s, want %s", got, tc.hash)
			}
			// The block itself must hash to the same value.
			if got := n.Params.GenesisBlock.BlockHash().String(); got != tc.hash {
				t.Errorf("genesis block hashes to %s, want %s", got, tc.hash)
			}
			if got := n.Params.GenesisBlock.Header.MerkleRoot.String(); got != tc.merkle {
				t.Errorf("merkle root = %s, want %s", got, tc.merkle)
			}
			if got := uint32(n.Params.Net); got != tc.magic {
				t.Errorf("magic = %#x, want %#x", got, tc.magic)
			}
		})
	}
}

func TestNetworkDefaults(t *testing.T) {
	tests := []struct {
		net              string
		rpc, tcp, ssl, r int
	}{
		{"mainnet", 8332, 50001, 50002, 200},
		{"testnet", 18332, 51001, 51002, 8000},
		{"testnet4", 48332, 51001, 51002, 8000},
		{"signet", 38332, 51001, 51002, 8000},
		{"regtest", 18443, 51001, 51002, 8000},
	}
	for _, tc := range tests {
		n, err := Lookup("bitcoin", tc.net)
		if err != nil {
			t.Fatal(err)
		}
		if n.Name != tc.net || n.Coin != "Bitcoin" || n.RPCPort != tc.rpc || n.TCPPort != tc.tcp ||
			n.SSLPort != tc.ssl || n.ReorgLimit != tc.r || n.HistogramRefresh <= 0 {
			t.Errorf("%s: got %+v", tc.net, n)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		coin, net, want, errHas string
		errIs                   error
	}{
		{"Bitcoin", "mainnet", "mainnet", "", nil},
		{"BITCOIN", "", "mainnet", "", nil},
		{"BitcoinSegwit", "regtest", "regtest", "", nil},
		{"bitcoinsegwit", "Testnet3", "testnet", "", nil},
		{"Bitcoin", "TESTNET", "testnet", "", nil},
		{"Bitcoin", "testnet4", "testnet4", "", nil},
		{"Bitcoin", " signet ", "signet", "", nil},
		{"Litecoin", "mainnet", "", "Bitcoin, BitcoinSegwit", ErrUnknownCoin},
		{"Bitcoin", "simnet", "", "mainnet, testnet, testnet4, signet, regtest", ErrUnknownNetwork},
	}
	for _, tc := range tests {
		n, err := Lookup(tc.coin, tc.net)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.Is(err, tc.errIs) {
				t.Errorf("Lookup(%q,%q) err = %v, want it to contain %q", tc.coin, tc.net, err, tc.errHas)
			}
			continue
		}
		if err != nil || n.Name != tc.want {
			t.Errorf("Lookup(%q,%q) = %v, %v; want %s", tc.coin, tc.net, n, err, tc.want)
		}
	}
}

// addressesFor builds P2PKH, P2WPKH and P2TR addresses for a fixed key on a
// network's params.
func addressesFor(t *testing.T, n *Network) map[string]btcutil.Address {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	pub := priv.PubKey()
	h160 := btcutil.Hash160(pub.SerializeCompressed())
	p2pkh, err := btcutil.NewAddressPubKeyHash(h160, n.Params)
	if err != nil {
		t.Fatal(err)
	}
	p2wpkh, err := btcutil.NewAddressWitnessPubKeyHash(h160, n.Params)
	if err != nil {
		t.Fatal(err)
	}
	p2tr, err := btcutil.NewAddressTaproot(schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pub)), n.Params)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]btcutil.Address{"p2pkh": p2pkh, "p2wpkh": p2wpkh, "p2tr": p2tr}
}

func TestAddressRoundTrip(t *testing.T) {
	wantPrefix := map[string]map[string]string{
		"mainnet":  {"p2pkh": "1", "p2wpkh": "bc1q", "p2tr": "bc1p"},
		"testnet":  {"p2pkh": "m", "p2wpkh": "tb1q", "p2tr": "tb1p"},
		"testnet4": {"p2pkh": "m", "p2wpkh": "tb1q", "p2tr": "tb1p"},
		"signet":   {"p2pkh": "m", "p2wpkh": "tb1q", "p2tr": "tb1p"},
		"regtest":  {"p2pkh": "m", "p2wpkh": "bcrt1q", "p2tr": "bcrt1p"},
	}
	wantScriptLen := map[string]int{"p2pkh": 25, "p2wpkh": 22, "p2tr": 34}
	for _, n := range Networks() {
		for kind, a := range addressesFor(t, n) {
			s := a.EncodeAddress()
			if p := wantPrefix[n.Name][kind]; !strings.HasPrefix(s, p) && !(kind == "p2pkh" && p == "m" && s[0] == 'n') {
				t.Errorf("%s %s: address %s lacks prefix %s", n.Name, kind, s, p)
			}
			script, err := n.AddressToScript(s)
			if err != nil {
				t.Errorf("%s %s: AddressToScript(%s): %v", n.Name, kind, s, err)
				continue
			}
			if len(script) != wantScriptLen[kind] {
				t.Errorf("%s %s: script %x has length %d, want %d", n.Name, kind, script, len(script), wantScriptLen[kind])
			}
			back, ok := n.ScriptToAddress(script)
			if !ok || back != s {
				t.Errorf("%s %s: ScriptToAddress(%x) = %q, %v; want %q", n.Name, kind, script, back, ok, s)
			}
		}
	}
}

func TestWrongNetworkRejected(t *testing.T) {
	main, _ := Lookup("Bitcoin", "mainnet")
	test, _ := Lookup("Bitcoin", "testnet")
	reg, _ := Lookup("Bitcoin", "regtest")
	tests := []struct {
		from, to *Network
		kinds    []string
	}{
		{main, test, []string{"p2pkh", "p2wpkh", "p2tr"}},
		{test, main, []string{"p2pkh", "p2wpkh", "p2tr"}},
		{main, reg, []string{"p2pkh", "p2wpkh", "p2tr"}},
		// testnet and regtest share base58 prefixes; only bech32 differs.
		{test, reg, []string{"p2wpkh", "p2tr"}},
		{reg, test, []string{"p2wpkh", "p2tr"}},
	}
	for _, tc := range tests {
		addrs := addressesFor(t, tc.from)
		for _, kind := range tc.kinds {
			s := addrs[kind].EncodeAddress()
			if script, err := tc.to.AddressToScript(s); err == nil {
				t.Errorf("%s address %s accepted on %s as %x", tc.from.Name, s, tc.to.Name, script)
			}
		}
	}
	if _, err := main.AddressToScript("not-an-address"); err == nil {
		t.Error("garbage address accepted")
	}
}

func TestScriptToAddressNonStandard(t *testing.T) {
	main, _ := Lookup("Bitcoin", "mainnet")
	for _, h := range []string{"", "6a0401020304", "51", "2102" + strings.Repeat("11", 32) + "ac"} {
		script, _ := hex.DecodeString(h)
		if a, ok := main.ScriptToAddress(script); ok {
			t.Errorf("ScriptToAddress(%s) = %s, want none", h, a)
		}
	}
}
